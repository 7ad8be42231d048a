"""The `serve` command: development server, and production mode's refusal without a key."""

import json
import subprocess
import sys
from pathlib import Path

from companion_app import cli


def test_production_refuses_to_start_without_secret_key(capsys):
    assert cli.main(["serve", "--production"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--production needs SECRET_KEY" in err


def test_production_runs_gunicorn_on_the_factory_with_body_free_logs(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k")
    calls = []

    def call(command):
        config = command[command.index("--log-config-json") + 1]
        calls.append((command, json.loads(Path(config).read_text())))
        return 0

    monkeypatch.setattr("companion_app.cli.subprocess.call", call)
    assert cli.main(["serve", "--production", "--port", "8001", "--workers", "3"]) == 0
    ((command, log_config),) = calls
    assert command[:8] == [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        "127.0.0.1:8001",
        "--workers",
        "3",
        "--log-config-json",
    ]
    assert command[-5:] == [
        "--access-logfile",
        "-",
        "--access-logformat",
        '%(h)s "%(m)s %(U)s" %(s)s',
        "companion_app:create_app()",
    ]
    assert log_config["loggers"]["companion_app"]["level"] == "INFO"
    assert not Path(command[8]).exists()  # the temporary config is gone afterwards


def test_development_server_runs_the_factory(monkeypatch, capsys):
    served = {}
    monkeypatch.setattr(
        "flask.Flask.run",
        lambda app, host, port, **options: served.update(host=host, port=port, app=app),
    )
    assert cli.main(["serve", "--port", "5055"]) == 0
    assert served["port"] == 5055 and served["app"].name == "companion_app"
    assert "http://127.0.0.1:5055/sms" in capsys.readouterr().out


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
