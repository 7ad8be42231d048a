"""Text the webhook from a terminal: each line is a message, each reply is printed.

Commands: ``/wait 4h`` (also ``30m``, ``90s``, ``1h30m``) moves the simulator's clock forward,
``/cookies`` shows the pair's cookie jar, ``/help`` lists the commands, ``/quit`` (or end of input)
stops. The clock starts at the current minute and moves only with /wait.
"""

import re
from datetime import datetime, timedelta, timezone

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


def open_simulator(url=None, clock=None):
    """A simulator for the chat: in-process create_app(), or the server at url, signed as it expects."""
    clock = clock if clock is not None else FakeClock(start_of_minute())
    if url:
        settings = read_environment()
        public = settings.get("PUBLIC_URL")
        return TwilioSimulator(
            url,
            webhook_url=public.rstrip("/") + "/sms" if public else None,
            auth_token=settings.get("TWILIO_AUTH_TOKEN"),
            clock=clock,
        )
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
