"""Every test run is offline: no credential on this machine reaches a test or a notebook kernel."""

import os

import pytest

from companion_app.settings import OFFLINE_SWITCH

# Set before nbval starts any kernel: kernels inherit this process's environment.
os.environ[OFFLINE_SWITCH] = "1"

# Headless-Chromium fixtures (browser_context, browser_page) for every test folder.
pytest_plugins = ["tests.browser"]


def needs_gunicorn(path):
    """True when a notebook runs gunicorn (its code asks production.available())."""
    return "production.available()" in path.read_text(encoding="utf-8")


def pytest_collection_modifyitems(config, items):
    """Where gunicorn cannot run (Windows, or not installed), skip the notebooks that run it, saying why."""
    from companion_app import production

    reason = production.unavailable_reason()
    if not reason:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        path = item.path
        if path.suffix == ".ipynb" and needs_gunicorn(path):
            item.add_marker(skip)
