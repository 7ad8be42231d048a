"""Settings: defaults, environment, .env file, test_config, and secrets that are never shown."""

import logging

import pytest

from companion_app import create_app
from companion_app.settings import describe_environment, read_environment


def test_test_config_overrides_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-environment")
    assert create_app({"SECRET_KEY": "from-test"}).config["SECRET_KEY"] == "from-test"


def test_environment_overrides_the_env_file(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("SECRET_KEY=from-file\nPUBLIC_URL=https://file.example\n")
    monkeypatch.setenv("SECRET_KEY", "from-environment")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-environment"
    assert app.config["PUBLIC_URL"] == "https://file.example"


def test_env_file_is_found_in_a_parent_folder(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("PUBLIC_URL=https://file.example\n")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert create_app().config["PUBLIC_URL"] == "https://file.example"


def test_offline_switch_ignores_every_setting(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("NGROK_AUTHTOKEN=abc\nSECRET_KEY=kept\n")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "t")
    monkeypatch.setenv("SMS_COOKIES_OFFLINE", "1")
    assert read_environment() == {}
    assert describe_environment().startswith("Offline mode")


def test_env_file_can_be_turned_off(tmp_path):
    (tmp_path / ".env").write_text("PUBLIC_URL=https://file.example\n")
    assert create_app({"ENV_FILE": None}).config["PUBLIC_URL"] is None


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("true", True), ("no", False)])
def test_trust_proxy_headers_from_environment(monkeypatch, value, expected):
    monkeypatch.setenv("TRUST_PROXY_HEADERS", value)
    assert create_app().config["TRUST_PROXY_HEADERS"] is expected


def test_missing_secret_key_is_generated_with_a_warning(caplog):
    caplog.set_level(logging.WARNING)
    first, second = create_app(), create_app()
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"]
    assert "SECRET_KEY is not set" in caplog.text
    assert "will not survive a restart" in caplog.text


def test_missing_token_warns_that_signatures_are_off(caplog):
    caplog.set_level(logging.WARNING)
    create_app({"SECRET_KEY": "k"})
    assert caplog.text.count("signatures are NOT checked") == 1


def test_no_warnings_when_configured(caplog):
    caplog.set_level(logging.WARNING)
    create_app({"SECRET_KEY": "k", "TWILIO_AUTH_TOKEN": "t"})
    assert caplog.text == ""


def test_blank_values_count_as_unset(tmp_path):
    (tmp_path / ".env").write_text("SECRET_KEY=\nTWILIO_AUTH_TOKEN=   \n")
    assert read_environment() == {}


def test_describe_environment_offline():
    text = describe_environment()
    assert text.startswith("Offline mode: the notebooks use the built-in Twilio simulator.")
    assert "set NGROK_AUTHTOKEN, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN" in text


def test_describe_environment_live_never_shows_secrets(monkeypatch):
    secrets = {
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_AUTH_TOKEN": "f" * 32,
        "NGROK_AUTHTOKEN": "2abcdefghijklmnopqrstuvwxyz",
        "SECRET_KEY": "s" * 64,
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TWILIO_PHONE_NUMBER", "+14155550199")
    text = describe_environment()
    assert text.startswith("Live mode is possible")
    assert "+14155550199" in text
    for value in secrets.values():
        assert value not in text
