"""Text the webhook from a terminal: each line is a message, each reply is printed.

Commands: ``/wait 4h`` (also ``30m``, ``90s``, ``1h30m``) moves the simulator's clock forward,
``/cookies`` shows the pair's cookie jar, ``/help`` lists the commands, ``/quit`` (or end of input)
stops. The clock starts at the current minute and moves only with /wait.
"""

import logging
import re
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from companion_app import create_app
from companion_app.settings import read_environment
from companion_app.simulator import FakeClock, TwilioSimulator
from companion_app.simulator.display import delivery_lines

HELP = "Commands: /wait 4h (or 30m, 90s), /cookies, /help, /quit."

#: The units /wait understands -> timedelta's keyword.
UNITS = {"h": "hours", "m": "minutes", "s": "seconds"}
DURATION = re.compile(r"(?:\d+[hms])+")


def parse_duration(text):
    """A timedelta from '4h', '30m', '90s' or '1h30m'; None when the text is not a duration."""
    text = text.strip().lower().replace(" ", "")
    if not DURATION.fullmatch(text):
        return None
    parts = re.findall(r"(\d+)([hms])", text)
    return sum((timedelta(**{UNITS[unit]: int(amount)}) for amount, unit in parts), timedelta())


def start_of_minute():
    """The current UTC time rounded down to the minute (where a chat's clock starts)."""
    return datetime.now(timezone.utc).replace(second=0, microsecond=0)


def valid_port(parts):
    """False when the URL's port is not a number from 0 to 65535."""
    try:
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError:
        return False
    return True


def split_url(url):
    """(base URL, webhook path and query) of --url: a server's base URL or its full webhook URL.

    "http://127.0.0.1:5000" and "http://127.0.0.1:5000/sms" (as `serve` prints it) both mean the
    counter at /sms; another path, like /directory, is kept. Raises ValueError for anything else.
    """
    text = url.strip()
    if "://" not in text:
        text = "http://" + text  # "127.0.0.1:5000"
    parts = urlsplit(text)
    usable = parts.scheme in ("http", "https") and parts.hostname and valid_port(parts)
    if not usable or any(c.isspace() for c in parts.netloc):
        raise ValueError(
            f"--url {url!r} is not a web address: give the server's URL as serve prints it, "
            "like http://127.0.0.1:5000/sms (or just http://127.0.0.1:5000)."
        )
    path = parts.path.rstrip("/") or "/sms"
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc}", path + query


@contextmanager
def quiet_app_warnings():
    """Hold back create_app's warnings: they describe a server, and the in-process chat is none."""
    logger = logging.getLogger("companion_app")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def open_simulator(url=None, clock=None):
    """A simulator for the chat: in-process create_app(), or the server at url, signed as it expects.

    url is the server's base URL or its webhook URL (see split_url).
    """
    clock = clock if clock is not None else FakeClock(start_of_minute())
    if url:
        base, path = split_url(url)
        settings = read_environment()
        public = settings.get("PUBLIC_URL")
        return TwilioSimulator(
            base,
            webhook_url=(public.rstrip("/") if public else base) + path,
            auth_token=settings.get("TWILIO_AUTH_TOKEN"),
            clock=clock,
        )
    with quiet_app_warnings():
        app = create_app()
    public = app.config.get("PUBLIC_URL")
    return TwilioSimulator(
        app,
        webhook_url=public.rstrip("/") + "/sms" if public else None,
        auth_token=app.config.get("TWILIO_AUTH_TOKEN"),
        clock=clock,
        tunnel_headers=bool(app.config.get("TRUST_PROXY_HEADERS")),
    )


def run_command(line, conversation, out):
    """Run a /command; return False when the chat should stop."""
    command, _, argument = line.partition(" ")
    if command == "/quit":
        return False
    if command == "/cookies":
        print(conversation.cookies, file=out)
    elif command == "/wait":
        step = parse_duration(argument)
        if step is None:
            print("Usage: /wait 4h (or 30m, 90s, 1h30m).", file=out)
        else:
            now = conversation.simulator.clock.advance(seconds=step.total_seconds())
            print(f"… {step} later: it is now {now:%H:%M}.", file=out)
    else:
        if command != "/help":
            print(f"Unknown command {command}.", file=out)
        print(HELP, file=out)
    return True


def chat(conversation, stdin, out, prompt=""):
    """Read messages from stdin, send each, print each reply, until /quit or end of input."""
    print(f"Texting {conversation.to} from {conversation.from_}. {HELP}", file=out)
    while True:
        if prompt:
            out.write(prompt)
            out.flush()
        line = stdin.readline()
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        if line.startswith("/"):
            if not run_command(line, conversation, out):
                break
            continue
        delivery = conversation.send(line)
        answer = delivery_lines(delivery)[1:]
        time = f"{delivery.sent_at:%H:%M}"
        print("\n".join(answer) or f"{time}  (no reply)", file=out)
    return 0
