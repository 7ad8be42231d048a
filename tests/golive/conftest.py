"""The network edge for the real-library tier: the real pyngrok and twilio SDK, stand-ins at 127.0.0.1."""

import pytest
from pyngrok import conf, ngrok

from tests.support.network_edge import Edge, spec_missing_reason

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "c0ffee" * 5 + "feed"
NGROK_TOKEN = "2aBcDeFgHiJkLmNoPqRsTuV_3wXyZaBcDeFgHiJkLmNoP"
NUMBER = "+14155550199"
NUMBER_SID = "PN" + "1" * 32
OLD_URL = "https://demo.twilio.com/welcome/sms/reply"


@pytest.fixture
def edge(tmp_path, monkeypatch):
    """Twilio's API (HTTPS, held to its OpenAPI description), the proxy and the ngrok stand-in.

    The environment sends the real twilio SDK and pyngrok to them; the account has NUMBER pointed
    at OLD_URL (GET). A request or response that does not match Twilio's description fails the
    test, and so does any attempt to reach a host that is not a stand-in.
    """
    reason = spec_missing_reason()
    if reason:
        pytest.skip(reason)
    found = Edge(tmp_path / "edge", ACCOUNT_SID, AUTH_TOKEN)
    for name, value in found.environ().items():
        monkeypatch.setenv(name, value)
    # pyngrok read XDG_CONFIG_HOME when it was imported: its public default config says where
    # the config file goes in this process (never the user's own).
    monkeypatch.setattr(conf.get_default(), "config_path", str(found.config_path))
    monkeypatch.setattr(conf.get_default(), "ngrok_path", found.environ()["PYNGROK_NGROK_PATH"])
    found.twilio.add_number(NUMBER, NUMBER_SID, OLD_URL, "GET")
    yield found
    ngrok.kill()  # the agent a test (or notebook 04's cells) started with pyngrok's default config
    found.close()
    stop_agents(found)
    assert not found.twilio.violations, found.twilio.violations
    assert not found.proxy.refused, f"tried to leave 127.0.0.1: {found.proxy.refused}"


def stop_agents(found):
    """End the agent stand-ins a test left running (a SIGKILLed parent leaves its agent behind)."""
    import contextlib
    import os
    import signal

    for session in (found.ngrok_state / "sessions").glob("*"):
        with contextlib.suppress(ValueError, OSError):
            os.kill(int(session.read_text()), signal.SIGTERM)


@pytest.fixture
def live_settings(edge, monkeypatch):
    """The learner's settings for going live: Twilio credentials, the number and an ngrok token."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("TWILIO_PHONE_NUMBER", NUMBER)
    monkeypatch.setenv("NGROK_AUTHTOKEN", NGROK_TOKEN)
    return edge
