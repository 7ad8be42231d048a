"""Settings from the environment and an optional .env file; secrets are read here and never printed."""

import os
import tempfile
from pathlib import Path

from dotenv import dotenv_values

#: A small example caller directory: E.164 number -> name.
DEFAULT_CALLERS = {
    "+14155550100": "Rey",
    "+14155550101": "Finn",
    "+14155550102": "Chewy",
}

#: Every setting the project reads from the environment.
SETTING_NAMES = (
    "SECRET_KEY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_WEBHOOK_SHARED_KEY",
    "TWILIO_PHONE_NUMBER",
    "NGROK_AUTHTOKEN",
    "PUBLIC_URL",
    "TRUST_PROXY_HEADERS",
    "STORE_URL",
    "SESSION_STORE_URL",
)

#: The settings that are secrets: shown only as "set" or "not set".
SECRET_NAMES = frozenset(
    {"SECRET_KEY", "TWILIO_AUTH_TOKEN", "TWILIO_WEBHOOK_SHARED_KEY", "NGROK_AUTHTOKEN"}
)

#: When this environment variable is set, every setting (environment and .env) is ignored, as on a
#: fresh machine. The test suite sets it, so `make test` never touches a real account and notebook
#: outputs match the committed ones whatever the developer has configured.
OFFLINE_SWITCH = "SMS_COOKIES_OFFLINE"

#: The .env file a launcher chose for its child processes (gunicorn's workers): a path, or empty
#: for none. Without it, ".env" is looked for where the user put it (see find_env_file).
ENV_FILE_VARIABLE = "SMS_COOKIES_ENV_FILE"

#: Setting names a launcher passed on purpose (comma-separated): honoured even offline.
PASSED_VARIABLE = "SMS_COOKIES_PASSED"

_TRUE = {"1", "true", "yes", "on"}


def is_on(value):
    """True for 1, true, yes, on (any case)."""
    return (value or "").strip().lower() in _TRUE


def project_folder():
    """The repository this package was installed from (editable install or checkout), else None."""
    root = Path(__file__).resolve().parent.parent
    try:
        text = (root / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return None
    return root if 'name = "sms-cookies"' in text else None


def find_env_file(env_file=".env"):
    """The .env file to read: ".env" means the working folder's, else the project folder's.

    Never a parent folder's and never the temp folder's: a stray .env there is not the user's.
    A launcher can fix the choice for its children with SMS_COOKIES_ENV_FILE (empty: none).
    """
    if not env_file:
        return None
    if env_file != ".env":
        return env_file if Path(env_file).is_file() else None
    if ENV_FILE_VARIABLE in os.environ:
        chosen = os.environ[ENV_FILE_VARIABLE].strip()
        return chosen if chosen and Path(chosen).is_file() else None
    temp_root = Path(tempfile.gettempdir()).resolve()
    folders = [Path.cwd().resolve(), project_folder()]
    for folder in folders:
        if folder is None or folder == temp_root:
            continue
        candidate = folder / ".env"
        if candidate.is_file():
            return str(candidate)
    return None


def read_environment(env_file=".env"):
    """Return the known settings that are set: the process environment wins over the .env file."""
    if is_on(os.environ.get(OFFLINE_SWITCH)):
        # Offline, only what a launcher passed on purpose counts (see production.Gunicorn).
        passed = {n.strip() for n in os.environ.get(PASSED_VARIABLE, "").split(",")}
        values = {k: os.environ[k] for k in SETTING_NAMES if k in passed and k in os.environ}
        return {k: v.strip() for k, v in values.items() if v and v.strip()}
    values = {}
    path = find_env_file(env_file)
    if path:
        values.update({k: v for k, v in dotenv_values(path).items() if k in SETTING_NAMES})
    values.update({k: os.environ[k] for k in SETTING_NAMES if k in os.environ})
    return {k: v.strip() for k, v in values.items() if v and v.strip()}


def load_settings(env_file=".env"):
    """Return the app's config values found in the environment and the .env file."""
    found = read_environment(env_file)
    settings = {
        k: found[k]
        for k in (
            "SECRET_KEY",
            "TWILIO_AUTH_TOKEN",
            "TWILIO_WEBHOOK_SHARED_KEY",
            "PUBLIC_URL",
            "STORE_URL",
            "SESSION_STORE_URL",
        )
        if k in found
    }
    if "TRUST_PROXY_HEADERS" in found:
        settings["TRUST_PROXY_HEADERS"] = is_on(found["TRUST_PROXY_HEADERS"])
    return settings


def describe_environment(env_file=".env"):
    """Say, in plain words and without any secret's value, which mode the series will run in."""
    found = read_environment(env_file)
    lines = []
    for name in SETTING_NAMES:
        if name in SECRET_NAMES or name == "TWILIO_ACCOUNT_SID":
            state = "set" if name in found else "not set"
        else:
            state = found.get(name, "not set")
        lines.append(f"  {name:<20} {state}")
    live = {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "NGROK_AUTHTOKEN"} <= found.keys()
    if live:
        verdict = "Live mode is possible: Twilio credentials and an ngrok token were found."
    else:
        missing = sorted(
            {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "NGROK_AUTHTOKEN"} - found.keys()
        )
        verdict = (
            "Offline mode: the notebooks use the built-in Twilio simulator. "
            f"To go live later, set {', '.join(missing)}."
        )
    return "\n".join([verdict, "", *lines])
