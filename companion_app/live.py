"""Go live from a notebook or terminal: serve the app, open a tunnel, point the Twilio number at it."""

import atexit
import threading

from companion_app import server
from companion_app.inbrowser import IN_BROWSER

_sessions = {}


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
        try:
            restored = self.number.restore()
            if restored:
                self._say(restored)
        finally:
            self.tunnel.close()
            self.app.config["PUBLIC_URL"] = self._old_public_url
            self.server.stop()
            if _sessions.get(self.name) is self:
                del _sessions[self.name]

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
    say=print,
):
    """Serve app, open an ngrok tunnel and point the Twilio number at it; print each step.

    Whatever cannot be done (no token, no internet, no credentials) is explained in one sentence and
    the app carries on locally. Calling it again first closes the session started under `name`.
    """
    # Here, not at the top: pyngrok and requests are only needed to go live, never in the browser.
    if IN_BROWSER:
        from companion_app.inbrowser import DEFAULT_TIMEOUT, NoTunnel, open_tunnel, point_number
    else:
        from companion_app.tunnel import DEFAULT_TIMEOUT, NoTunnel, open_tunnel
        from companion_app.twilio_number import point_number

    stop(name)
    served = server.serve(app, name=name, host=host, port=port)
    local_url = f"{served.url}/sms"
    say(f"1. Serving the webhook at {local_url}")

    if tunnel:
        timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        opened = open_tunnel(served.port, ask=ask, env_file=env_file, timeout=timeout)
    else:
        opened = NoTunnel("off", "No tunnel (tunnel=False).")
    old_public_url = app.config.get("PUBLIC_URL")
    if opened.ok:
        app.config["PUBLIC_URL"] = opened.public_url
        check = (
            f"Twilio's signatures are checked against {opened.public_url}/sms."
            if app.config.get("TWILIO_AUTH_TOKEN")
            else "Signatures are NOT checked: TWILIO_AUTH_TOKEN is not set."
        )
        say(f"2. Opened an ngrok tunnel: {opened.public_url}/sms -> {local_url}. {check}")
    else:
        say(f"2. {opened.message} Carrying on locally at {local_url}")

    try:
        pointed = point_number(opened.public_url, number, env_file=env_file)
    except BaseException:
        opened.close()
        app.config["PUBLIC_URL"] = old_public_url
        server.stop(name)
        raise
    say(f"3. {pointed.message}")

    session = _sessions[name] = LiveSession(
        app, name, served, opened, pointed, old_public_url, say=say
    )
    if pointed.ok:
        say(f"4. Text {pointed.phone_number} from your phone; {watch_hint}")
    else:
        say(f"4. Send messages to {local_url}; {watch_hint}")
    return session


def stop(name="live"):
    """Close the session started under `name`, if any."""
    session = _sessions.get(name)
    if session is not None:
        session.close()


def stop_all():
    """Close every session go_live() started."""
    for name in list(_sessions):
        stop(name)


# A kernel restart or the end of a script must not leave the learner's number pointing nowhere.
atexit.register(stop_all)
