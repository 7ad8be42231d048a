"""`serve --tunnel` killed outright (SIGKILL), then `restore-number` or the next `serve --tunnel`.

The real pyngrok and twilio SDK run in a child process, as a learner runs them; only the network
edge is a stand-in (tests/golive/conftest.py). SIGKILL gives the process no chance to restore the
number: its record stays on disk, and the ngrok agent it started outlives it.
"""

import os
import signal
import time

import pytest

from companion_app.golive import number_record
from tests.golive.conftest import AUTH_TOKEN, NGROK_TOKEN, NUMBER, OLD_URL
from tests.golive.test_network_edge import no_secret, read_until, start_cli, the_rest
from tests.support.browser import free_port

pytestmark = pytest.mark.slow


def what_the_learner_sees(text):
    """The output as one line of words (the CLI wraps its sentences at 79 columns)."""
    return " ".join(text.split())


def clean(shown):
    assert "Traceback" not in shown, shown
    assert "twilio.http_client" not in shown and "pyngrok" not in shown, shown
    no_secret(shown, AUTH_TOKEN, NGROK_TOKEN)


@pytest.fixture
def killed(live_settings):
    """A `serve --tunnel` that pointed the number, then was killed with SIGKILL.

    Returns (the dead process's id, the tunnel URL the number still points at, the agent's id).
    """
    child = start_cli("serve", "--tunnel", "--port", str(free_port()))
    lines = []
    try:
        read_until(child, "4. Text", lines)
    finally:
        child.kill()  # SIGKILL: no handler runs, nothing is restored
        child.wait()
        child.stdout.close()
    clean("".join(lines))
    public = next(w for line in lines for w in line.split() if ".ngrok-free.app/sms" in w)
    record = number_record.load(NUMBER)
    assert record is not None
    assert (record.pid, record.old_url, record.old_method) == (child.pid, OLD_URL, "GET")
    assert live_settings.twilio.webhook(NUMBER) == (public, "POST")  # pointed at a dead tunnel
    agent = int((number_record.state_dir() / "ngrok-agent.pid").read_text())
    assert number_record.process_alive(agent)  # the agent outlived the tool
    return child.pid, public, agent


def run_cli(*args, timeout=60):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "companion_app", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def test_restore_number_puts_back_what_a_killed_session_left(live_settings, killed):
    code, out, err = run_cli("restore-number")
    assert (code, err) == (0, ""), out + err
    assert out == f"Restored {NUMBER}: its SMS webhook is {OLD_URL} (GET) again.\n"
    assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET")
    assert number_record.load(NUMBER) is None
    code, out, err = run_cli("restore-number")  # twice is harmless
    assert code == 0, out + err
    assert out.startswith("Nothing to restore: no number is on record in ")


def test_the_next_serve_tunnel_restores_first_then_names_the_agent_left_running(
    live_settings, killed
):
    dead, _, agent = killed
    child = start_cli("serve", "--tunnel", "--port", str(free_port()))
    lines = []
    try:
        read_until(child, "4. ", lines)
        # Restored before anything else, and not pointed again: no tunnel could open.
        assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET")
        assert number_record.load(NUMBER) is None
        child.send_signal(signal.SIGINT)
        rest = the_rest(child)
    finally:
        if child.poll() is None:
            child.kill()
    shown = "".join(lines) + rest
    clean(shown)
    words = what_the_learner_sees(shown)
    restored = (
        f"An earlier session (process {dead}) ended without putting {NUMBER} back: restored "
        f"it, its SMS webhook is {OLD_URL} (GET) again."
    )
    assert restored in words, shown
    assert words.index(restored) < words.index("1. Serving"), shown  # before anything else
    assert (
        f"2. An ngrok agent that an earlier session started is still running on this computer "
        f"(process {agent}), and your ngrok account allows one at a time (ERR_NGROK_108): stop "
        f"it (`kill {agent}`, or end it in the Task Manager), then try again. Carrying on "
        f"locally at http://127.0.0.1:"
    ) in words, shown
    assert f"3. Not changing {NUMBER}: without a tunnel" in words, shown
    assert "Ctrl-C stops it all (and restores the number)." in words, shown
    assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET")
    assert child.returncode in (0, 130), shown


def test_the_fix_the_sentence_names_works(live_settings, killed):
    """`kill PID` as the ERR_NGROK_108 sentence says, then `serve --tunnel` goes live again."""
    _, old_public, agent = killed
    os.kill(agent, signal.SIGTERM)  # what `kill PID` sends
    for _ in range(100):
        if not number_record.process_alive(agent):
            break
        time.sleep(0.1)
    child = start_cli("serve", "--tunnel", "--port", str(free_port()))
    lines = []
    try:
        read_until(child, "4. Text", lines)
        public = next(w for line in lines for w in line.split() if ".ngrok-free.app/sms" in w)
        assert public != old_public
        assert live_settings.twilio.webhook(NUMBER) == (public, "POST")
        child.send_signal(signal.SIGINT)
        rest = the_rest(child)
    finally:
        if child.poll() is None:
            child.kill()
    shown = "".join(lines) + rest
    clean(shown)
    words = what_the_learner_sees(shown)
    assert "ERR_NGROK_108" not in words, shown
    assert words.count(f"its SMS webhook is {OLD_URL} (GET) again.") == 2, shown  # then, now
    assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET")
    assert number_record.load(NUMBER) is None
