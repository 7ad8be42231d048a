"""`python -m companion_app --verbose serve --tunnel`: the libraries' own logs, and no secret in them.

The real pyngrok and twilio SDK run in the child process; only the network edge is a stand-in.
What the libraries log is theirs (pyngrok 9.1's `process` and re-logged agent lines, twilio's
`twilio.http_client` request log); the test only looks for their logger names and for the secrets.
"""

import base64
import signal

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.golive.conftest import ACCOUNT_SID, AUTH_TOKEN, NGROK_TOKEN, NUMBER, OLD_URL
from tests.golive.test_network_edge import no_secret, read_until, start_cli, the_rest
from tests.support.browser import free_port

pytestmark = pytest.mark.slow

#: The Authorization header the twilio SDK sends (HTTP basic: "sid:token" in base64).
BASIC = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()


def test_verbose_shows_the_libraries_logs_without_a_secret(live_settings):
    child = start_cli("--verbose", "serve", "--tunnel", "--port", str(free_port()))
    lines = []
    try:
        read_until(child, "4. Text", lines)
        public = next(w for line in lines for w in line.split() if ".ngrok-free.app/sms" in w)
        params = {"From": "+14155550100", "To": NUMBER, "Body": "hi"}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(public, params)
        answered = requests.post(
            public, data=params, headers={"X-Twilio-Signature": signature}, timeout=20
        )
        assert answered.status_code == 200
        read_until(child, "signature valid  status 200", lines)
        child.send_signal(signal.SIGINT)
        rest = the_rest(child)
    finally:
        if child.poll() is None:
            child.kill()
    shown = "".join(lines) + rest
    assert "INFO twilio.http_client: -- BEGIN Twilio API Request --" in shown, shown
    assert "INFO pyngrok.process: Killing ngrok process" in shown, shown
    assert "INFO pyngrok.process.ngrok: " in shown, shown  # the agent's own lines
    assert f"Restored {NUMBER}: its SMS webhook is {OLD_URL} (GET) again." in " ".join(
        shown.split()
    )
    assert "Traceback" not in shown
    no_secret(shown, AUTH_TOKEN, NGROK_TOKEN, BASIC)
    assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET")


@pytest.mark.parametrize(
    ("token", "code"),
    [("not-a-token", "ERR_NGROK_105"), (NGROK_TOKEN, "ERR_NGROK_107")],
    ids=["malformed", "revoked"],
)
def test_verbose_with_a_refused_token_shows_the_agent_lines_without_it(
    live_settings, monkeypatch, token, code
):
    monkeypatch.setenv("NGROK_AUTHTOKEN", token)
    monkeypatch.setenv("NGROK_STANDIN_REVOKED", NGROK_TOKEN)
    child = start_cli("--verbose", "serve", "--tunnel", "--port", str(free_port()))
    lines = []
    try:
        read_until(child, "4. ", lines)
        child.send_signal(signal.SIGINT)
        rest = the_rest(child)
    finally:
        if child.poll() is None:
            child.kill()
    shown = "".join(lines) + rest
    agent_lines = [line for line in shown.splitlines() if "pyngrok.process.ngrok:" in line]
    assert any(code in line for line in agent_lines), shown  # the agent's error is shown ...
    no_secret(shown, token, AUTH_TOKEN, BASIC)  # ... without the token it echoed
    assert f"2. ngrok refused the auth token ({code}): copy it again from" in shown, shown
    assert "Traceback" not in shown
    assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET")
