"""The `serve` command: development server, production mode, refusals, and a clean shutdown."""

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from companion_app import cli
from companion_app.serving import production
from tests.support.browser import free_port
from tests.support.slow_clients import SlowClients
from tests.support.values import (
    PUBLIC_URL,
    SENDER,
    TEST_AUTH_TOKEN,
    TWILIO_NUMBER,
    signed_simulator,
)

ROOT = Path(__file__).resolve().parent.parent


def test_production_refuses_to_start_without_secret_key(capsys, monkeypatch):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TEST_AUTH_TOKEN)
    assert cli.main(["serve", "--production"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--production needs SECRET_KEY" in err


def test_production_names_every_missing_setting_at_once(capsys, monkeypatch):
    monkeypatch.setattr(cli, "read_environment", lambda: {})
    assert cli.main(["serve", "--production"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("error: --production needs SECRET_KEY")
    assert lines[1].startswith("error: --production would answer requests from anyone")
    assert "Set TWILIO_AUTH_TOKEN" in lines[1]


def test_serve_help_names_what_production_needs(capsys):
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(needs SECRET_KEY, and TWILIO_AUTH_TOKEN or --allow-unsigned)" in text
    assert "/sms/store keeps conversations where STORE_URL says" in text


@pytest.mark.parametrize(
    ("option", "number"),
    [
        ("--from", "4155550100"),
        ("--from", "14155550100"),
        ("--from", "+1 415 555 0100"),
        ("--from", "+1-415-555-0100"),
        ("--to", "(415) 555-0199"),
        ("--to", "+0415550199"),
        ("--to", "+1234567890123456"),
    ],
)
def test_chat_refuses_a_number_that_is_not_e164(capsys, monkeypatch, option, number):
    monkeypatch.setattr("sys.stdin", io.StringIO("hi\n"))
    assert cli.main(["chat", option, number]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert f"{option} {number!r} is not a phone number as Twilio sends it" in captured.err
    assert "write it like +14155550100" in captured.err


@pytest.mark.parametrize("number", ["+14155550100", "+447700900123", "+61491570156"])
def test_chat_takes_e164_numbers(capsys, monkeypatch, number):
    monkeypatch.setattr("sys.stdin", io.StringIO("hi\n"))
    assert cli.main(["chat", "--from", number]) == 0
    assert f"from {number}" in capsys.readouterr().out


@pytest.mark.skipif(not production.available(), reason=str(production.unavailable_reason()))
def test_production_runs_gunicorn_on_the_factory_with_body_free_logs(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TEST_AUTH_TOKEN)
    calls = []

    def call(command, env):
        config = command[command.index("--log-config-json") + 1]
        calls.append((command, json.loads(Path(config).read_text())))
        return 0

    monkeypatch.setattr("companion_app.serving.production.run_in_foreground", call)
    assert cli.main(["serve", "--production", "--port", "8001", "--workers", "3"]) == 0
    ((command, log_config),) = calls
    assert command[:7] == [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        "127.0.0.1:8001",
        "--workers",
        "3",
    ]
    assert command[-5:] == [
        "--access-logfile",
        "-",
        "--access-logformat",
        '%(h)s "%(m)s %(U)s" %(s)s',
        "companion_app:create_app()",
    ]
    assert log_config["loggers"]["companion_app"]["level"] == "INFO"
    assert not Path(command[command.index("--log-config-json") + 1]).exists()  # removed afterwards


def test_development_server_runs_the_factory(monkeypatch, capsys):
    served = {}
    monkeypatch.setattr(
        "flask.Flask.run",
        lambda app, host, port, **options: served.update(host=host, port=port, app=app),
    )
    assert cli.main(["serve", "--port", "5055"]) == 0
    assert served["port"] == 5055 and served["app"].name == "companion_app"
    assert "http://127.0.0.1:5055/sms" in capsys.readouterr().out


REFUSAL = (
    "error: {option} would answer requests from anyone, and without TWILIO_AUTH_TOKEN it cannot "
    "tell Twilio's signed requests from forged ones. Set TWILIO_AUTH_TOKEN (environment or .env; "
    "it is on your Twilio Console's home page), or add --allow-unsigned for a short demo.\n"
)


@pytest.mark.parametrize("option", ["--tunnel", "--production"])
def test_a_public_server_without_a_token_refuses_to_start(option, monkeypatch, capsys):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("NGROK_AUTHTOKEN", "t")
    started = []
    monkeypatch.setattr("companion_app.cli.go_live", lambda *a, **k: started.append(a))
    monkeypatch.setattr("companion_app.serving.production.run_in_foreground", started.append)
    assert cli.main(["serve", option]) == 2
    assert capsys.readouterr() == ("", REFUSAL.format(option=option))
    assert started == []


def test_allow_unsigned_runs_production_loudly(monkeypatch, capsys):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setattr(
        "companion_app.serving.production.run_in_foreground", lambda command, env: 0
    )
    assert cli.main(["serve", "--production", "--allow-unsigned"]) == 0
    assert capsys.readouterr().err.startswith(
        "WARNING: --allow-unsigned: request signatures are NOT checked."
    )


def test_allow_unsigned_needs_a_public_server(capsys):
    assert cli.main(["serve", "--allow-unsigned"]) == 2
    assert "--allow-unsigned goes with --tunnel or --production" in capsys.readouterr().err


def child_env(**extra):
    """This test process's environment without settings, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMS_COOKIES", "TWILIO"))}
    env.pop("SECRET_KEY", None)
    env.pop("FLASK_DEBUG", None)
    return {**env, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **extra}


def wait_until_listening(port, process, timeout=30):
    """Wait until something answers on 127.0.0.1:port (or the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("the server never listened")


@pytest.mark.slow
def test_flask_debug_in_dotenv_never_turns_on_the_debugger(tmp_path):
    (tmp_path / ".env").write_text("FLASK_DEBUG=1\nSECRET_KEY=k\n")
    port = free_port()
    out_path = tmp_path / "out.txt"
    with open(out_path, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "companion_app", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=child_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_listening(port, process)
        # Werkzeug's debugger serves its own files at any path with ?__debugger__=yes.
        asset = requests.get(
            f"http://127.0.0.1:{port}/?__debugger__=yes&cmd=resource&f=debugger.js", timeout=5
        )
        crash = requests.post(f"http://127.0.0.1:{port}/sms", data={"From": "x"}, timeout=5)
    finally:
        process.terminate()
        process.wait(10)
    output = out_path.read_text()
    assert asset.status_code == 404
    assert "Debugger" not in crash.text
    assert "Debugger is active" not in output
    assert "Restarting with" not in output


def gunicorn_master(output):
    """gunicorn's master pid, from its "Starting gunicorn" log line."""
    found = re.search(r"\[(\d+)\] \[INFO\] Starting gunicorn", output)
    return int(found.group(1)) if found else None


def alive(pid):
    """True while the process exists (and is not a zombie we could not reap)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(") ")[1].startswith("Z"))


@pytest.mark.slow
@pytest.mark.skipif(not production.available(), reason=str(production.UNAVAILABLE))
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_production_gunicorn_and_removes_its_folder(tmp_path, signum):
    """Workers read the .env of the folder serve was started in, and nothing outlives the stop."""
    project, temp = tmp_path / "project", tmp_path / "tmp"
    project.mkdir()
    temp.mkdir()
    (project / ".env").write_text(
        f"SECRET_KEY=shared\nTWILIO_AUTH_TOKEN={TEST_AUTH_TOKEN}\nPUBLIC_URL={PUBLIC_URL}\n"
    )
    port = free_port()
    out_path = tmp_path / "out.txt"
    with open(out_path, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "companion_app", "serve", "--production", "--port", str(port)],
            cwd=project,
            env=child_env(TMPDIR=str(temp)),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_listening(port, process)
        assert [p.name[:12] for p in temp.iterdir()] == ["sms-cookies-"]
        rey = signed_simulator(f"http://127.0.0.1:{port}").conversation(
            from_=SENDER, to=TWILIO_NUMBER
        )
        assert rey.send("hi").replies[0].body == "Hello Rey, thanks for the message!"
        master = gunicorn_master(out_path.read_text())
        process.send_signal(signum)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert list(temp.iterdir()) == []
    assert master is not None and not alive(master)


@pytest.mark.slow
@pytest.mark.skipif(not production.available(), reason=str(production.UNAVAILABLE))
@pytest.mark.parametrize("drip", ["headers", "body"])
def test_production_answers_a_signed_message_within_10_s_beside_40_slow_clients(tmp_path, drip):
    """Clients that send their request a byte a second must not keep Twilio waiting (15 s)."""
    (tmp_path / ".env").write_text(
        f"SECRET_KEY=shared\nTWILIO_AUTH_TOKEN={TEST_AUTH_TOKEN}\nPUBLIC_URL={PUBLIC_URL}\n"
    )
    port = free_port()
    out_path = tmp_path / "out.txt"
    with open(out_path, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "companion_app", "serve", "--production", "--port", str(port)],
            cwd=tmp_path,
            env=child_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_listening(port, process)
        url = f"http://127.0.0.1:{port}"
        rey = signed_simulator(url, timeout=10, connect_timeout=10).conversation(
            from_=SENDER, to=TWILIO_NUMBER
        )
        assert rey.send("hello").replies  # both workers booted and answering
        with SlowClients(port, 40, drip=drip) as slow:
            assert slow.wait_rounds(2)
            start = time.monotonic()
            result = rey.send("hi")
            took = time.monotonic() - start
            still_open = 40 - slow.closed()
    finally:
        process.terminate()
        process.wait(30)
    assert [reply.body for reply in result.replies] == ["Rey has messaged +14155550199 2 times."]
    assert took < 10
    assert still_open == 40
    assert "WORKER TIMEOUT" not in out_path.read_text()


def test_module_help_runs():
    result = subprocess.run(
        [sys.executable, "-m", "companion_app", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "serve" in result.stdout


def test_flask_command_finds_the_factory():
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "companion_app", "routes"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "webhook.count_messages" in result.stdout and "/sms" in result.stdout


@pytest.mark.parametrize(
    ("store_url", "said"),
    [
        (
            None,
            "/sms/store keeps conversations in the SQLite file conversations.db (this machine only)",
        ),
        (
            "redis://:hunter2@cache.example.com:6380/2",
            "/sms/store keeps conversations in Redis at redis://cache.example.com:6380/2 (shared "
            "by every host that uses it)",
        ),
    ],
)
def test_production_says_where_conversations_are_kept_without_a_password(
    monkeypatch, capsys, store_url, said
):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TEST_AUTH_TOKEN)
    if store_url:
        monkeypatch.setenv("STORE_URL", store_url)
    monkeypatch.setattr("companion_app.serving.production.run_in_foreground", lambda c, env: 0)
    assert cli.main(["serve", "--production"]) == 0
    err = capsys.readouterr().err
    assert said in err and "hunter2" not in err


def test_production_refuses_a_store_url_it_cannot_use(monkeypatch, capsys):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TEST_AUTH_TOKEN)
    monkeypatch.setenv("STORE_URL", "postgres://db/counts")
    assert cli.main(["serve", "--production"]) == 2
    assert "error: STORE_URL 'postgres://db/counts': use sqlite:///conversations.db" in (
        capsys.readouterr().err
    )


@pytest.mark.slow
@pytest.mark.skipif(not production.available(), reason=str(production.UNAVAILABLE))
def test_two_production_servers_with_one_store_url_share_the_counts(tmp_path, redis_url):
    """Two `serve --production` in their own folders, STORE_URL on one Redis: one conversation."""
    servers = []
    try:
        for name in ("one", "two"):
            (tmp_path / name).mkdir()
            port = free_port()
            settings = {"SECRET_KEY": "shared", "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN}
            settings.update(PUBLIC_URL=PUBLIC_URL, STORE_URL=redis_url)
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "companion_app",
                    "serve",
                    "--production",
                    "--port",
                    str(port),
                ],
                cwd=tmp_path / name,
                env=child_env(**settings),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            servers.append((port, process))
            wait_until_listening(port, process)
        replies = []
        for n in range(4):  # one conversation, alternating between the two servers
            port = servers[n % 2][0]
            url, webhook_url = f"http://127.0.0.1:{port}", f"{PUBLIC_URL}/sms/store"
            sim = signed_simulator(url, webhook_url=webhook_url, seed=n)  # its own MessageSid
            replies.append(sim.conversation(from_=SENDER, to=TWILIO_NUMBER).send("hi").reply)
    finally:
        for _, process in servers:
            process.terminate()
            process.wait(30)
    assert replies[-1] == f"Rey has messaged {TWILIO_NUMBER} 4 times."
    assert not list(tmp_path.glob("*/conversations.db"))  # nothing kept on either machine
