"""Every test run is offline: no credential on this machine reaches a test or a notebook kernel.

The one exception is a run that selects the `live` marker (`pytest -m live`): those tests need the
real credentials, so the offline switch is left unset for them.
"""

import os
import signal

import pytest

from companion_app.settings import OFFLINE_SWITCH


def selects_live(markexpr):
    """True when the -m expression asks for the live tests (the default is "not live")."""
    words = markexpr.split()
    return "live" in words and "not live" not in " ".join(words)


def pytest_configure(config):
    """Set the offline switch before nbval starts any kernel (kernels inherit the environment).

    A run started in the background by a shell without job control (or under nohup) inherits
    SIGINT and SIGHUP ignored, and so would every program a test starts: the tests that end a
    child with Ctrl-C or a closed terminal need them as a learner's terminal has them.
    """
    if not selects_live(config.option.markexpr or ""):
        os.environ[OFFLINE_SWITCH] = "1"
    for name, handler in (("SIGINT", signal.default_int_handler), ("SIGHUP", signal.SIG_DFL)):
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) is signal.SIG_IGN:
            signal.signal(signum, handler)


def pytest_xdist_auto_num_workers(config):
    """`-n auto` (make test): two test processes per core, at most eight.

    Much of the suite waits rather than computes (kernels and servers starting, a browser drawing,
    a child process stopping), so one process per core leaves cores idle: on 2 cores, 4 processes
    took 3:07 where 2 took 4:02 (the same tests, one after the other, on a quiet machine).
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(2, min(2 * (cores or 1), 8))


# Headless-Chromium fixtures (browser_context, browser_page) for every test folder.
pytest_plugins = ["tests.support.browser", "tests.support.site"]


def needs_gunicorn(path):
    """True when a notebook runs gunicorn (its code asks production.available())."""
    return "production.available()" in path.read_text(encoding="utf-8")


def pytest_collection_modifyitems(config, items):
    """Where gunicorn cannot run (Windows, or not installed), skip the notebooks that run it, saying why."""
    from companion_app.serving import production

    reason = production.unavailable_reason()
    if not reason:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        path = item.path
        if path.suffix == ".ipynb" and needs_gunicorn(path):
            item.add_marker(skip)
