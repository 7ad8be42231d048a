"""Go live from a notebook or terminal: serve the app, open a tunnel, point the Twilio number at it."""

import atexit
import contextlib
import os
import signal
import sys
import textwrap
import threading

from companion_app.golive.skipped import NoTunnel
from companion_app.inbrowser import IN_BROWSER
from companion_app.serving import server
from companion_app.serving.registry import Registry

#: Printed lines are wrapped here, between words: a terminal or notebook would cut words instead.
WIDTH = 79

UNSIGNED = (
    "Not opening a tunnel: this app does not check Twilio's signatures (TWILIO_AUTH_TOKEN is not "
    "set), so anyone who found its public URL could post to it. Set TWILIO_AUTH_TOKEN, or {how} "
    "for a short demo."
)
UNSIGNED_WARNING = (
    "WARNING: signatures are NOT checked ({why}): anyone who finds {url} can post to it."
)

#: How a notebook user asks for the token prompt and for an unsigned tunnel.
HOW = {"ask": "pass ask=True", "unsigned": "pass allow_unsigned=True"}

#: The endings a process can act on besides Ctrl-C: `kill` and a closed terminal.
END_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))

#: The sessions go_live() started, by name.
_sessions = Registry(close="close")
_previous_handlers = {}


def wrap(text, width=WIDTH):
    """Wrap text between words; a sentence's later lines are indented (under a step's text)."""
    return "\n".join(
        textwrap.fill(
            line,
            width,
            subsequent_indent="   ",
            break_long_words=False,
            break_on_hyphens=False,
        )
        for line in text.splitlines() or [""]
    )


def in_main_thread():
    """True in the main thread, the only one that can set signal handlers."""
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def shielded(say=print):
    """Hold Ctrl-C, SIGTERM and SIGHUP until the block is done (a restore must not stop half-way).

    A held SIGTERM or SIGHUP is delivered afterwards; a held Ctrl-C only says to wait.
    """
    if not in_main_thread():
        yield
        return
    held = []

    def hold(signum, frame):
        held.append(signum)
        if signum == signal.SIGINT:
            say("Putting the number back first, one moment.")

    previous = {}
    for signum in (signal.SIGINT, *END_SIGNALS):
        previous[signum] = signal.signal(signum, hold)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        for signum in dict.fromkeys(held):
            if signum != signal.SIGINT:
                signal.raise_signal(signum)


def _close_all_and_pass_on(signum, frame):
    """On SIGTERM or SIGHUP: restore and close everything, then end as the signal asked."""
    stop_all()
    previous = _previous_handlers.pop(signum, signal.SIG_DFL)
    signal.signal(signum, previous)
    if callable(previous):
        previous(signum, frame)
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signum)


def catch_end_signals():
    """Make SIGTERM and SIGHUP restore the number first (from the main thread; once)."""
    if not in_main_thread():
        return
    for signum in END_SIGNALS:
        if signum in _previous_handlers:
            continue
        current = signal.getsignal(signum)
        if current is signal.SIG_IGN:
            continue
        _previous_handlers[signum] = signal.SIG_DFL if current is None else current
        signal.signal(signum, _close_all_and_pass_on)


class LiveSession:
    """What go_live() started; close() undoes all of it (number, tunnel, server), in that order."""

    def __init__(self, app, name, server, tunnel, number, old_public_url, say=print):
        self.app = app
        self.name = name
        self.server = server
        self.tunnel = tunnel
        self.number = number
        self.local_url = f"{server.url}/sms"
        self.public_url = f"{tunnel.public_url}/sms" if tunnel.public_url else None
        self._old_public_url = old_public_url
        self._say = say
        self._closed = False

    def recent(self, limit=10):
        """The last requests the app received: time, pair, count, signature, status."""
        return self.app.extensions["recent_requests"].table(limit)

    def watch(self, interval=0.5, stop=None):
        """Print each request as it arrives, until Ctrl-C (or until the `stop` event is set)."""
        stop = stop or threading.Event()
        seen = set()
        while not stop.wait(interval):
            for item in self.app.extensions["recent_requests"]:
                if item not in seen:
                    seen.add(item)
                    count = "-" if item.count is None else item.count
                    self._say(
                        f"{item.time:%H:%M:%S}  {item.from_} -> {item.to}  count {count}  "
                        f"signature {item.signature}  status {item.status}"
                    )

    @property
    def closed(self):
        """True once close() was called."""
        return self._closed

    def close(self):
        """Restore the number, close the tunnel, stop the server; calling it twice is harmless."""
        if self._closed:
            return
        self._closed = True
        with shielded(self._say):
            try:
                restored = self.number.restore()
                if restored:
                    self._say(wrap(restored))
            finally:
                self.tunnel.close()
                self.app.config["PUBLIC_URL"] = self._old_public_url
                self.server.stop()
                _sessions.forget(self.name, self)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self):
        state = "closed" if self._closed else "live" if self.public_url else "local"
        return f"<LiveSession {self.public_url or self.local_url} {state}>"


def go_live(
    app,
    number=None,
    *,
    tunnel=True,
    ask=False,
    host="127.0.0.1",
    port=0,
    name="live",
    env_file=".env",
    timeout=None,
    watch_hint=".recent() shows what arrived, .close() stops it all.",
    allow_unsigned=False,
    how=None,
    say=print,
):
    """Serve app, open an ngrok tunnel and point the Twilio number at it; print each step.

    Whatever cannot be done (no token, no internet, no credentials) is explained in one sentence and
    the app carries on locally. Calling it again first closes the session started under `name`.
    No tunnel opens for an app that does not check signatures, unless allow_unsigned=True.
    A number that an earlier, ended session left pointed is put back first. `how` rewords the
    hints for another front end (the command line): {"ask": ..., "unsigned": ...}.
    """
    # Here, not at the top: pyngrok and requests are only needed to go live, never in the browser.
    if IN_BROWSER:
        from companion_app.golive.inbrowser import (
            DEFAULT_TIMEOUT,
            open_tunnel,
            point_number,
            recover_earlier,
        )
    else:
        from companion_app.golive.number import point_number, recover_earlier
        from companion_app.golive.tunnel import DEFAULT_TIMEOUT, open_tunnel

    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    how = {**HOW, **(how or {})}
    stop(name)
    catch_end_signals()
    for line in recover_earlier(env_file):
        say(wrap(line))
    served = server.serve(app, name=name, host=host, port=port)
    local_url = f"{served.url}/sms"
    say(wrap(f"1. Serving the webhook at {local_url}"))

    signed = bool(app.config.get("TWILIO_AUTH_TOKEN"))
    if not tunnel:
        opened = NoTunnel("off", "No tunnel (tunnel=False).")
    elif not signed and not allow_unsigned:
        opened = NoTunnel("unsigned", UNSIGNED.format(how=how["unsigned"]))
    else:
        opened = open_tunnel(
            served.port, ask=ask, env_file=env_file, timeout=timeout, ask_how=how["ask"]
        )
    old_public_url = app.config.get("PUBLIC_URL")
    if opened.ok:
        app.config["PUBLIC_URL"] = opened.public_url
        check = (
            f"Twilio's signatures are checked against {opened.public_url}/sms."
            if signed
            else UNSIGNED_WARNING.format(
                why="TWILIO_AUTH_TOKEN is not set", url=f"{opened.public_url}/sms"
            )
        )
        say(wrap(f"2. Opened an ngrok tunnel: {opened.public_url}/sms -> {local_url}. {check}"))
    else:
        say(wrap(f"2. {opened.message} Carrying on locally at {local_url}"))

    try:
        pointed = point_number(opened.public_url, number, env_file=env_file)
    except BaseException:
        opened.close()
        app.config["PUBLIC_URL"] = old_public_url
        server.stop(name)
        raise
    say(wrap(f"3. {pointed.message}"))

    session = _sessions.add(
        name, LiveSession(app, name, served, opened, pointed, old_public_url, say=say)
    )
    if pointed.ok:
        say(wrap(f"4. Text {pointed.phone_number} from your phone; {watch_hint}"))
    else:
        say(wrap(f"4. Send messages to {local_url}; {watch_hint}"))
    return session


def stop(name="live"):
    """Close the session started under `name`, if any."""
    _sessions.stop(name)


def stop_all(say=print):
    """Close every session go_live() started, and put back any number still pointed."""
    if IN_BROWSER:
        from companion_app.golive.inbrowser import restore_all
    else:
        from companion_app.golive.number import restore_all

    with shielded(say):
        _sessions.stop_all()
        for line in restore_all():
            say(wrap(line))


# A kernel restart or the end of a script must not leave the learner's number pointing nowhere.
atexit.register(stop_all)
