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


def test_env_file_of_the_project_folder_is_read_from_its_notebooks(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("PUBLIC_URL=https://file.example\n")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.setattr("companion_app.settings.project_folder", lambda: tmp_path)
    monkeypatch.chdir(tmp_path / "notebooks")
    assert create_app().config["PUBLIC_URL"] == "https://file.example"


def test_the_working_folder_s_env_file_comes_first(tmp_path, monkeypatch):
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / ".env").write_text("PUBLIC_URL=https://project.example\n")
    (tmp_path / ".env").write_text("PUBLIC_URL=https://here.example\n")
    monkeypatch.setattr("companion_app.settings.project_folder", lambda: tmp_path / "project")
    assert create_app().config["PUBLIC_URL"] == "https://here.example"


def test_a_parent_folder_s_env_file_is_never_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("PUBLIC_URL=https://parent.example\nSECRET_KEY=parent\n")
    (tmp_path / "somewhere" / "deeper").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "somewhere" / "deeper")
    assert read_environment() == {}


def test_the_temp_root_s_env_file_is_never_read(tmp_path, monkeypatch):
    """A process working in the temp folder (or below it) never picks up a stray /tmp/.env."""
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    (tmp_path / ".env").write_text("SECRET_KEY=left-in-tmp\n")
    assert read_environment() == {}
    (tmp_path / "gunicorn-x").mkdir()
    monkeypatch.chdir(tmp_path / "gunicorn-x")
    assert read_environment() == {}


@pytest.mark.parametrize(("chosen", "expected"), [("", {}), ("other.env", {"SECRET_KEY": "b"})])
def test_a_launcher_chooses_the_env_file_for_its_children(tmp_path, monkeypatch, chosen, expected):
    (tmp_path / ".env").write_text("SECRET_KEY=a\n")
    (tmp_path / "other.env").write_text("SECRET_KEY=b\n")
    monkeypatch.setenv("SMS_COOKIES_ENV_FILE", chosen and str(tmp_path / chosen))
    assert read_environment() == expected


def test_offline_honours_only_the_settings_a_launcher_passed(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("PUBLIC_URL=https://file.example\n")
    monkeypatch.setenv("SMS_COOKIES_OFFLINE", "1")
    monkeypatch.setenv("SECRET_KEY", "passed")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "machine")
    monkeypatch.setenv("SMS_COOKIES_PASSED", "SECRET_KEY")
    assert read_environment() == {"SECRET_KEY": "passed"}


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
