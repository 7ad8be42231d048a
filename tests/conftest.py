"""Shared fixtures: an app with fixed settings, its test client, and a conversation helper."""

import pytest

from companion_app import create_app
from companion_app.number_record import STATE_DIR_VARIABLE
from companion_app.settings import (
    ENV_FILE_VARIABLE,
    OFFLINE_SWITCH,
    PASSED_VARIABLE,
    SETTING_NAMES,
)
from companion_app.simulator import FakeClock, TwilioSimulator

#: The auth token of twilio-python's published signature test vector.
TEST_AUTH_TOKEN = "12345"
#: The public URL a tunnel would give; requests are signed for it.
PUBLIC_URL = "https://example.ngrok.app"
SENDER = "+14155550100"  # "Rey" in the default caller directory
TWILIO_NUMBER = "+14155550199"


def signed_simulator(target, **options):
    """A simulator for target (app or URL) signing for PUBLIC_URL/sms with the test token, on a FakeClock."""
    options.setdefault("webhook_url", f"{PUBLIC_URL}/sms")
    options.setdefault("auth_token", TEST_AUTH_TOKEN)
    options.setdefault("clock", FakeClock())
    options.setdefault("seed", 0)
    return TwilioSimulator(target, **options)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """Keep the machine's settings out of every test: no setting variables and no .env file.

    The project folder's own .env is not read either, and records of pointed numbers go to a
    folder of the test's own.
    """
    for name in (*SETTING_NAMES, OFFLINE_SWITCH, ENV_FILE_VARIABLE, PASSED_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(STATE_DIR_VARIABLE, str(tmp_path / "state"))
    monkeypatch.setattr("companion_app.settings.project_folder", lambda: None)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def app():
    """The counter webhook with a fixed secret key and signature checks off."""
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret-key"})


@pytest.fixture
def client(app):
    """A test client: one cookie jar, like Twilio's for one From/To pair."""
    return app.test_client()


@pytest.fixture
def signed_app():
    """The counter webhook with signature checks on, behind PUBLIC_URL."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "PUBLIC_URL": PUBLIC_URL,
        }
    )


@pytest.fixture
def conversation(app):
    """Start a conversation for one From/To pair; each pair gets its own client, as Twilio keeps one jar per pair."""

    def start(from_=SENDER, to=TWILIO_NUMBER):
        client = app.test_client()

        def send(body="hello", **extra):
            return client.post("/sms", data={"From": from_, "To": to, "Body": body, **extra})

        return send

    return start
