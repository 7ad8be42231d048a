"""Shared fixtures: an app with fixed settings, its test client, and a conversation helper."""

import pytest

from companion_app import create_app
from companion_app.golive.number_record import STATE_DIR_VARIABLE
from companion_app.settings import (
    ENV_FILE_VARIABLE,
    OFFLINE_SWITCH,
    PASSED_VARIABLE,
    SETTING_NAMES,
)
from tests.support.values import (
    PUBLIC_URL,
    SENDER,
    TEST_AUTH_TOKEN,
    TWILIO_NUMBER,
)
from tests.support.wire import start_servers


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


@pytest.fixture(scope="module")
def servers():
    """One real loopback server per signature mode (local, PUBLIC_URL, proxy headers), per module."""
    yield from start_servers()


@pytest.fixture(scope="module")
def redis_server():
    """A real redis-server on a free port in a temporary folder, per module (Debian's package)."""
    from companion_app.serving import hosts

    reasons = hosts.missing(nginx=False, gunicorn=False)
    if reasons:
        pytest.skip(reasons[0])
    with hosts.RedisServer() as server:
        yield server


@pytest.fixture
def redis_url(redis_server):
    """The URL of an empty Redis: the module's redis-server, flushed before the test."""
    import redis

    if not redis_server.running:  # a test stopped it: start it again, on the same port
        redis_server.start()
    redis.Redis.from_url(redis_server.url).flushall()
    return redis_server.url
