"""However a live session ends, the learner's number gets its original SMS webhook back.

Each test runs `serve --tunnel` (or a script calling go_live) as a real child process, with Twilio
and pyngrok faked at the package's boundary (tests/support/live_harness.py), ends it the way a learner
might, and reads the fake number afterwards.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NUMBER = "+14155550199"
SID = "PN" + "1" * 32
ORIGINAL = "https://demo.twilio.com/welcome/sms/reply"
RESTORE_COMMAND = "python -m companion_app restore-number"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
]


class Account:
    """The fake Twilio account on disk, shared with the child processes."""

    def __init__(self, folder):
        self.path = folder / "fake-twilio.json"
        self.state_dir = folder / "state"
        self.folder = folder
        self.write(
            {
                "numbers": [
                    {"sid": SID, "phone_number": NUMBER, "sms_url": ORIGINAL, "sms_method": "GET"}
                ],
                "events": [],
            }
        )

    def read(self):
        return json.loads(self.path.read_text())

    def write(self, data):
        self.path.write_text(json.dumps(data))

    def set(self, **values):
        data = self.read()
        data.update(values)
        self.write(data)

    @property
    def sms_url(self):
        return self.read()["numbers"][0]["sms_url"]

    @property
    def records(self):
        return sorted(p.name for p in self.state_dir.glob("number-*.json"))


@pytest.fixture
def account(tmp_path):
    """A fake account with one number whose webhook is ORIGINAL (GET)."""
    return Account(tmp_path)


class Child:
    """A harness process; its output goes to a file (no pipe to fill up)."""

    def __init__(self, account, *args, tunnel="https://one.ngrok.app", **env):
        self.out_path = account.folder / f"out-{time.monotonic_ns()}.txt"
        full_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("SMS_COOKIES", "TWILIO"))
        }
        full_env.update(
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(ROOT),
            FAKE_TWILIO_STATE=str(account.path),
            FAKE_NGROK_URL=tunnel,
            SMS_COOKIES_STATE_DIR=str(account.state_dir),
            SMS_COOKIES_ENV_FILE="",
            TWILIO_ACCOUNT_SID="AC" + "0" * 32,
            TWILIO_AUTH_TOKEN="made-up-auth-token",
            NGROK_AUTHTOKEN="made-up-ngrok-token",
            SECRET_KEY="harness",
            **env,
        )
        with open(self.out_path, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.live_harness", *args],
                cwd=account.folder,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def output(self):
        return self.out_path.read_text(errors="replace").replace("\n   ", " ")

    def wait_for(self, text, timeout=30):
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"never printed {text!r}:\n{self.output}")
            time.sleep(0.05)

    def signal(self, signum):
        self.process.send_signal(signum)

    def end(self, timeout=30):
        return self.process.wait(timeout)


def serve_tunnel(account, **env):
    """`python -m companion_app serve --tunnel --port 0`, once it has pointed the number."""
    child = Child(account, "cli", "serve", "--tunnel", "--port", "0", **env)
    child.wait_for("4. ")
    return child


@pytest.mark.parametrize(
    ("signum", "status"),
    [
        (signal.SIGINT, 130),
        (signal.SIGTERM, -signal.SIGTERM),
        (signal.SIGHUP, -signal.SIGHUP),
    ],
    ids=["ctrl-c", "sigterm", "sighup"],
)
def test_a_signal_restores_the_number(account, signum, status):
    child = serve_tunnel(account)
    assert account.sms_url == "https://one.ngrok.app/sms"
    assert account.records == ["number-14155550199.json"]
    child.signal(signum)
    assert child.end() == status
    assert account.sms_url == ORIGINAL
    assert account.records == []
    assert f"Restored {NUMBER}: its SMS webhook is {ORIGINAL} (GET) again." in child.output


def test_a_second_ctrl_c_does_not_stop_the_restore_half_way(account):
    account.set(slow_restore=1.5)
    child = serve_tunnel(account)
    child.signal(signal.SIGINT)
    deadline = time.monotonic() + 20
    while not any(e.startswith("restore-started") for e in account.read()["events"]):
        assert time.monotonic() < deadline, child.output
        time.sleep(0.02)
    child.signal(signal.SIGINT)
    assert child.end() == 130
    assert account.sms_url == ORIGINAL
    assert account.records == []
    assert "Putting the number back first, one moment." in child.output
    assert "Traceback" not in child.output


def test_an_exception_in_the_command_line_restores_the_number(account):
    child = Child(account, "cli", "serve", "--tunnel", "--port", "0", FAKE_WATCH_RAISES="1")
    assert child.end() == 1
    assert "RuntimeError: the watch loop failed" in child.output
    assert account.sms_url == ORIGINAL
    assert account.records == []


@pytest.mark.parametrize(("ending", "status"), [("normal", 0), ("raise", 1)])
def test_a_script_that_ends_or_fails_restores_the_number(account, ending, status):
    child = Child(account, "script", ending)
    assert child.end() == status
    assert "3. Pointed" in child.output
    assert account.sms_url == ORIGINAL
    assert account.records == []


def test_sigterm_to_a_script_restores_the_number(account):
    """A notebook kernel that is sent SIGTERM (a shutdown that timed out)."""
    child = Child(account, "script", "wait")
    child.wait_for("4. ")
    child.signal(signal.SIGTERM)
    assert child.end() == -signal.SIGTERM
    assert account.sms_url == ORIGINAL


def test_after_sigkill_the_next_start_restores_and_says_how_by_hand(account):
    first = serve_tunnel(account)
    first.signal(signal.SIGKILL)
    first.end()
    assert account.sms_url == "https://one.ngrok.app/sms"  # nothing could act on SIGKILL
    assert account.records == ["number-14155550199.json"]

    second = serve_tunnel(account, tunnel="https://two.ngrok.app")
    out = second.output
    assert (
        f"An earlier session (process {first.process.pid}) ended without putting {NUMBER} "
        f"back: restored it, its SMS webhook is {ORIGINAL} (GET) again."
    ) in out
    assert f"To put a number back by hand at any time: {RESTORE_COMMAND}" in out
    assert f"3. Pointed {NUMBER} at https://two.ngrok.app/sms (POST); it was {ORIGINAL} (GET)" in (
        out
    )
    second.signal(signal.SIGINT)
    assert second.end() == 130
    assert account.sms_url == ORIGINAL
    assert account.records == []


def test_after_sigkill_restore_number_puts_it_back(account):
    first = serve_tunnel(account)
    first.signal(signal.SIGKILL)
    first.end()
    restore = Child(account, "cli", "restore-number")
    assert restore.end() == 0
    assert restore.output == f"Restored {NUMBER}: its SMS webhook is {ORIGINAL} (GET) again.\n"
    assert account.sms_url == ORIGINAL
    assert account.records == []


def test_after_sigkill_a_script_restores_at_its_next_go_live(account):
    first = Child(account, "script", "wait")
    first.wait_for("4. ")
    first.signal(signal.SIGKILL)
    first.end()
    second = Child(account, "script", "normal")
    assert second.end() == 0
    assert f"To put a number back by hand at any time: {RESTORE_COMMAND}" in second.output
    assert account.sms_url == ORIGINAL
    assert account.records == []


def test_a_lost_update_reply_is_read_back_and_restored(account):
    account.set(lose_replies=1)
    child = serve_tunnel(account)
    assert "Twilio's reply was lost, but reading the number back shows the change" in (child.output)
    child.signal(signal.SIGTERM)
    child.end()
    assert account.sms_url == ORIGINAL
    assert account.records == []


def test_two_sessions_on_one_number(account):
    first = serve_tunnel(account)
    second = serve_tunnel(account, tunnel="https://two.ngrok.app")
    assert (
        f"3. Not changing {NUMBER}: another live session of this tool (process "
        f"{first.process.pid}) pointed it at https://one.ngrok.app/sms and puts it back to "
        f"{ORIGINAL} (GET) when it stops."
    ) in second.output
    assert account.sms_url == "https://one.ngrok.app/sms"
    second.signal(signal.SIGINT)
    assert second.end() == 130
    assert account.sms_url == "https://one.ngrok.app/sms"  # the second one changed nothing
    first.signal(signal.SIGINT)
    assert first.end() == 130
    assert account.sms_url == ORIGINAL
    assert account.records == []
