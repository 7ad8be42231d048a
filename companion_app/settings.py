"""Settings from the environment and an optional .env file; secrets are read here and never printed."""

import os
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
    "TWILIO_PHONE_NUMBER",
    "NGROK_AUTHTOKEN",
    "PUBLIC_URL",
    "TRUST_PROXY_HEADERS",
)

#: The settings that are secrets: shown only as "set" or "not set".
SECRET_NAMES = frozenset({"SECRET_KEY", "TWILIO_AUTH_TOKEN", "NGROK_AUTHTOKEN"})

_TRUE = {"1", "true", "yes", "on"}


def read_environment(env_file=".env"):
    """Return the known settings that are set: the process environment wins over the .env file."""
    values = {}
    if env_file and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if k in SETTING_NAMES})
    values.update({k: os.environ[k] for k in SETTING_NAMES if k in os.environ})
    return {k: v.strip() for k, v in values.items() if v and v.strip()}


def load_settings(env_file=".env"):
    """Return the app's config values found in the environment and the .env file."""
    found = read_environment(env_file)
    settings = {
        k: found[k] for k in ("SECRET_KEY", "TWILIO_AUTH_TOKEN", "PUBLIC_URL") if k in found
    }
    if "TRUST_PROXY_HEADERS" in found:
        settings["TRUST_PROXY_HEADERS"] = found["TRUST_PROXY_HEADERS"].lower() in _TRUE
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
