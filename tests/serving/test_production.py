"""companion_app.serving.production: gunicorn on a free loopback port, only the settings given, always stopped."""

import json
import time
import types
from pathlib import Path

import pytest

from companion_app import cli
from companion_app.serving import production
from tests.support.slow_clients import SlowClients
from tests.support.values import (
    PUBLIC_URL,
    SENDER,
    TEST_AUTH_TOKEN,
    TWILIO_NUMBER,
    signed_simulator,
)

KEY_WARNING = "SECRET_KEY is not set: using a random key."
SETTINGS = {"TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN, "PUBLIC_URL": PUBLIC_URL}

pytestmark = pytest.mark.skipif(
    not production.available(), reason=str(production.unavailable_reason())
)


def conversation(url, method="POST"):
    """A simulated conversation with the server at url, signed with the test token."""
    sim = signed_simulator(url, method=method)
    return sim.conversation(from_=SENDER, to=TWILIO_NUMBER)


def test_app_lines_drop_time_and_pid_and_keep_only_the_app():
    log = "\n".join(
        [
            "[2025-01-06 09:00:00 +0000] [41] [INFO] Booting worker with pid: 41",
            "[2025-01-06 09:00:01 +0000] [41] [INFO] companion_app.app.counter: message a -> b: count 2",
            '127.0.0.1 "POST /sms" 200',
            "[2025-01-06 09:00:01 +0000] [42] [WARNING] companion_app: SECRET_KEY is not set",
        ]
    )
    assert production.app_lines(log) == [
        "INFO companion_app.app.counter: message a -> b: count 2",
        "WARNING companion_app: SECRET_KEY is not set",
    ]
    assert production.app_lines(log, "count") == [
        "INFO companion_app.app.counter: message a -> b: count 2"
    ]


@pytest.mark.parametrize(
    "name, spec, reason",
    [
        ("nt", object(), "gunicorn does not run on Windows"),
        ("posix", None, "gunicorn is not installed"),
    ],
)
def test_start_refuses_where_gunicorn_cannot_run(monkeypatch, name, spec, reason):
    service = production.Gunicorn()
    try:
        with monkeypatch.context() as patch:
            patch.setattr("companion_app.serving.production.os", types.SimpleNamespace(name=name))
            patch.setattr(
                "companion_app.serving.production.importlib.util.find_spec", lambda _: spec
            )
            with pytest.raises(RuntimeError, match=reason):
                service.start()
    finally:
        service.close()  # stops gunicorn even if it wrongly started


@pytest.mark.slow
def test_only_the_given_settings_reach_the_workers(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "the-machine's-key")
    with production.Gunicorn(env=SETTINGS, workers=2) as service:
        assert service.wait_for(KEY_WARNING, count=2) == 2


@pytest.mark.slow
def test_workers_keep_the_offline_switch_and_never_read_the_temp_root(tmp_path, monkeypatch):
    """Gunicorn works in a folder under the temp root: a stray .env there must not be read."""
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.setenv("SMS_COOKIES_OFFLINE", "1")
    (tmp_path / ".env").write_text("SECRET_KEY=left-in-tmp\n")
    with production.Gunicorn(env=SETTINGS, workers=2) as service:
        assert service.env["SMS_COOKIES_OFFLINE"] == "1"
        assert service.wait_for(KEY_WARNING, count=2) == 2  # the stray key was not read
        rey = conversation(service.url)
        assert rey.send("hi").replies[0].body == "Hello Rey, thanks for the message!"


@pytest.mark.slow
def test_counts_and_logs_one_line_per_message_without_the_body():
    with production.Gunicorn(env={**SETTINGS, "SECRET_KEY": "shared"}) as service:
        rey = conversation(service.url, method="GET")
        replies = [rey.send(f"my PIN is 43{n}").replies[0].body for n in range(3)]
        assert service.wait_for('"GET /sms" 200', count=3) == 3
        log = service.log()
    assert replies[-1] == "Rey has messaged +14155550199 3 times."
    assert production.app_lines(log, "count") == [
        f"INFO companion_app.app.counter: message {SENDER} -> {TWILIO_NUMBER}: count {n}"
        for n in (1, 2, 3)
    ]
    assert "PIN" not in log
    assert KEY_WARNING not in log


@pytest.mark.slow
def test_serve_by_name_stops_the_earlier_one_and_stop_all_stops_everything():
    first = production.serve(name="test", env=SETTINGS, workers=1)
    second = production.serve(name="test", env=SETTINGS, workers=1)
    other = production.serve(name="other", env=SETTINGS, workers=1)
    try:
        assert not first.running
        assert second.running and other.running
    finally:
        production.stop_all()
    assert not second.running and not other.running
    assert "stopped" in repr(second)


def test_the_cli_and_gunicorn_run_the_same_gunicorn_options(monkeypatch):
    """serve --production and production.Gunicorn differ only in the port and their own folder."""
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TEST_AUTH_TOKEN)
    ran = []

    def run(command, env):
        config = command[command.index("--log-config-json") + 1]
        ran.append((command, json.loads(Path(config).read_text())))
        return 0

    monkeypatch.setattr("companion_app.serving.production.run_in_foreground", run)
    assert cli.main(["serve", "--production", "--port", "8001", "--workers", "3"]) == 0
    ((from_cli, cli_log_config),) = ran
    service = production.Gunicorn(workers=3)
    try:
        from_class = service.command()
        class_log_config = json.loads(
            Path(from_class[from_class.index("--log-config-json") + 1]).read_text()
        )
    finally:
        service.close()

    def options(command):
        flags = list(command)
        flags[flags.index("--bind") + 1] = "HOST:PORT"
        flags[flags.index("--log-config-json") + 1] = "LOGGING.json"
        flags[flags.index("--worker-tmp-dir") + 1] = "FOLDER"
        return flags

    for command in (from_cli, from_class):  # the workers' heartbeat files: in the caller's folder
        folder = command[command.index("--worker-tmp-dir") + 1]
        assert Path(command[command.index("--log-config-json") + 1]).parent == Path(folder)

    assert options(from_cli) == options(from_class)
    assert cli_log_config == class_log_config
    assert "--no-control-socket" in from_cli
    assert from_cli[from_cli.index("--worker-class") + 1] == "gthread"
    # Twilio waits 15 s for an answer: a stop waits no longer than that for the workers.
    assert int(from_cli[from_cli.index("--graceful-timeout") + 1]) < 15


def answer_beside(url, slow):
    """Send a signed message once every slow client has dripped twice; (seconds, reply)."""
    assert slow.wait_rounds(2)
    rey = conversation_waiting(url)
    start = time.monotonic()
    result = rey.send("hi")
    took = time.monotonic() - start
    return took, [reply.body for reply in result.replies], result


def conversation_waiting(url, timeout=10):
    """A conversation whose requests wait at most timeout seconds to connect and to be answered."""
    sim = signed_simulator(url, timeout=timeout, connect_timeout=timeout)
    return sim.conversation(from_=SENDER, to=TWILIO_NUMBER)


@pytest.mark.slow
@pytest.mark.parametrize("drip", ["headers", "body"])
def test_a_signed_message_is_answered_within_10_s_beside_40_slow_clients(drip):
    with production.Gunicorn(env={**SETTINGS, "SECRET_KEY": "shared"}) as service:
        port = int(service.url.rsplit(":", 1)[1])
        with SlowClients(port, 40, drip=drip) as slow:
            took, replies, result = answer_beside(service.url, slow)
            still_open = 40 - slow.closed()
        log = service.log()
    assert replies == ["Hello Rey, thanks for the message!"], result
    assert took < 10
    assert still_open == 40  # the slow clients were held open, not refused
    assert "WORKER TIMEOUT" not in log


@pytest.mark.slow
def test_a_connection_that_sends_nothing_is_dropped_while_others_are_answered():
    with production.Gunicorn(env={**SETTINGS, "SECRET_KEY": "shared"}) as service:
        port = int(service.url.rsplit(":", 1)[1])
        with SlowClients(port, 5, drip="silent") as silent:
            rey = conversation_waiting(service.url)
            assert rey.send("hi").replies[0].body == "Hello Rey, thanks for the message!"
            dropped = silent.wait_dropped(5, timeout=15)
    assert dropped == 5
