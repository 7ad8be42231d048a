"""Run the command line or a go_live script in a child process, with Twilio and pyngrok faked.

    python -m tests.support.live_harness cli serve --tunnel ...   # the command line
    python -m tests.support.live_harness script normal|raise|wait  # a script (or kernel) that calls go_live

The fakes replace `companion_app.golive.twilio_api.Client` and `companion_app.golive.tunnel.ngrok`, nothing
deeper. The fake account lives in the JSON file named by FAKE_TWILIO_STATE, so the test that
started this process reads the number's webhook after the process ended, however it ended:
    {"numbers": [{"sid", "phone_number", "sms_url", "sms_method"}],
     "lose_replies": n,       # the next n updates are applied, then their reply is lost (timeout)
     "slow_restore": s,       # an update away from the tunnel waits s seconds before it applies
     "events": [...]}         # what happened, in order ("update URL", "restore-started URL")
FAKE_NGROK_URL is the public URL the fake tunnel gets.
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import requests

STATE = Path(os.environ.get("FAKE_TWILIO_STATE", "fake-twilio.json"))


def load():
    """The fake account's state."""
    return json.loads(STATE.read_text(encoding="utf-8"))


def dump(data):
    """Replace the fake account's state atomically."""
    handle, temp = tempfile.mkstemp(dir=STATE.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(data, out)
    os.replace(temp, STATE)


def log(event):
    """Add an event to the fake account's history."""
    data = load()
    data.setdefault("events", []).append(event)
    dump(data)


class FakeClient:
    """Stands in for twilio.rest.Client: only incoming_phone_numbers, backed by the state file."""

    def __init__(self, account_sid, auth_token, http_client=None):
        self.incoming_phone_numbers = FakeNumbers()


class FakeNumbers:
    """client.incoming_phone_numbers: .list(...) and (sid).fetch() / .update(...)."""

    def list(self, phone_number=None, limit=20):
        found = load()["numbers"]
        return [SimpleNamespace(**n) for n in found if phone_number in (None, n["phone_number"])]

    def __call__(self, sid):
        return FakeNumber(sid)


class FakeNumber:
    """client.incoming_phone_numbers(sid)."""

    def __init__(self, sid):
        self.sid = sid

    def fetch(self):
        (number,) = [n for n in load()["numbers"] if n["sid"] == self.sid]
        return SimpleNamespace(**number)

    def update(self, sms_url, sms_method):
        data = load()
        if "ngrok" not in sms_url and data.get("slow_restore"):
            log(f"restore-started {sms_url}")
            time.sleep(data["slow_restore"])
            data = load()
        for number in data["numbers"]:
            if number["sid"] == self.sid:
                number.update(sms_url=sms_url, sms_method=sms_method)
        data.setdefault("events", []).append(f"update {sms_url}")
        lost = data.get("lose_replies", 0)
        data["lose_replies"] = max(0, lost - 1)
        dump(data)
        if lost:
            raise requests.Timeout("read timed out (fake: the change was applied)")
        return SimpleNamespace(sid=self.sid, sms_url=sms_url, sms_method=sms_method)


class FakeNgrok:
    """Stands in for pyngrok's ngrok module."""

    def connect(self, addr, proto, pyngrok_config):
        return SimpleNamespace(public_url=os.environ["FAKE_NGROK_URL"])

    def disconnect(self, public_url, pyngrok_config):
        pass

    def kill(self, pyngrok_config):
        pass


def install_fakes():
    """Replace Twilio's client and pyngrok at the package's boundary."""
    import companion_app.golive.tunnel
    import companion_app.golive.twilio_api

    companion_app.golive.twilio_api.Client = FakeClient
    companion_app.golive.tunnel.ngrok = FakeNgrok()


def run_script(ending):
    """What a notebook or script does: go_live, then end normally, with an exception, or wait."""
    from companion_app import create_app
    from companion_app.golive.live import go_live

    app = create_app({"SECRET_KEY": "harness", "TWILIO_AUTH_TOKEN": "made-up-auth-token"})
    go_live(app)
    sys.stdout.flush()
    if ending == "raise":
        raise RuntimeError("a cell failed")
    if ending == "wait":
        while True:
            time.sleep(0.1)


def main(argv):
    """Install the fakes and run the command line or the script."""
    install_fakes()
    if argv[0] == "cli":
        if os.environ.get("FAKE_WATCH_RAISES"):
            import companion_app.golive.live

            def watch_then_fail(session, interval=0.5, stop=None):
                time.sleep(0.2)
                raise RuntimeError("the watch loop failed")

            companion_app.golive.live.LiveSession.watch = watch_then_fail
        from companion_app.cli import main as cli_main

        return cli_main(argv[1:])
    run_script(argv[1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
