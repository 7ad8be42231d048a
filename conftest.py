"""Every test run is offline: no credential on this machine reaches a test or a notebook kernel."""

import os

from companion_app.settings import OFFLINE_SWITCH

# Set before nbval starts any kernel: kernels inherit this process's environment.
os.environ[OFFLINE_SWITCH] = "1"

# Headless-Chromium fixtures (browser_context, browser_page) for every test folder.
pytest_plugins = ["tests.browser", "tests.site"]
