"""Headless Chromium (Debian's package) driven by Playwright, for tests that look at what a reader sees.

Nothing here downloads a browser: Playwright drives the system's `chromium`. The browser resolves
no host but this machine, so a page that asks for anything outside 127.0.0.1 fails visibly.
"""

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

#: Where Debian's package puts the browser; CHROMIUM overrides it.
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Chromium's own services reach for outside hosts even when a page asks for nothing.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]

LOCAL_PREFIXES = ("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "ws://localhost")


def missing_reason():
    """Why browser tests cannot run here, or None when they can."""
    if not os.path.exists(CHROMIUM):
        return (
            "headless Chromium is not installed (Debian: apt-get install chromium; "
            ".ci/run installs it)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (it is in the [test] extra)"
    return None


def launch(playwright, user_data_dir):
    """A headless Chromium with a fresh profile in user_data_dir."""
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900},
    )


class PageWatch:
    """What a page did that a reader would not want: console errors and requests off this machine."""

    def __init__(self, page):
        self.page = page
        self.console_errors = []
        self.outside_requests = []
        page.on(
            "console",
            lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: self.console_errors.append(str(exc)))
        page.on("request", self._request)

    def _request(self, request):
        url = request.url
        if not url.startswith(LOCAL_PREFIXES) and not url.startswith(("data:", "blob:", "about:")):
            self.outside_requests.append(url)


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory):
    """One headless Chromium for the whole session (skipped, with the reason, where it cannot run)."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = launch(playwright, tmp_path_factory.mktemp("chromium-profile"))
        yield context
        context.close()


@pytest.fixture
def browser_page(browser_context):
    """A new tab, watched for console errors and for requests that leave 127.0.0.1."""
    page = browser_context.new_page()
    watch = PageWatch(page)
    yield page, watch
    page.close(run_before_unload=False)


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving(process, status_url, headers=None, seconds=90, log=None):
    """Wait until the server process answers status_url, then stop it on the way out.

    log: the file the process writes to, whose end is shown if it exits first.
    """
    import requests

    try:
        deadline = time.monotonic() + seconds
        while True:
            if process.poll() is not None:
                tail = log.read_text()[-2000:] if log else ""
                pytest.fail(f"the server exited with status {process.returncode}: {tail}")
            try:
                if requests.get(status_url, headers=headers, timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer {status_url} within {seconds} s")
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


#: axe-core from npm (tests/node, `make node-oracle`): the accessibility rules a reader's assistive
#: technology depends on, written by Deque, not by this project.
AXE = Path(__file__).resolve().parents[1] / "node" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page, impacts=("serious", "critical")):
    """axe-core's violations on the page as it is now: [(rule, impact, [target, ...]), ...]."""
    if not AXE.exists():
        pytest.skip(
            "axe-core is not installed: run `make node-oracle`, or without make "
            "`npm ci --prefix tests/node`"
        )
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => [v.id, v.impact, v.nodes.map(n => n.target.join(" "))])"""
    )
    return [tuple(v) for v in found if v[1] in impacts]
