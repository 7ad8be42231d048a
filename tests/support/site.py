"""Fixtures for the website's tests: the site built once per session and served on 127.0.0.1.

The site is built from the checkout's tracked files (changes not committed included, so the tests
see the work in progress): built_site as a room gets it, student copies in the browser;
built_site_full with the full notebooks in the browser, which the in-browser nbval compares.
"""

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tools.sitebuild.serve import make_server

ROOT = Path(__file__).resolve().parents[2]


def build_site(tmp_path_factory, browser_notebooks):
    """Build the site from the checkout's tracked files into a new folder (downloads cached)."""
    cached = (ROOT / ".site-cache" / "npm").is_dir()
    if not cached and shutil.which("npm") is None:
        pytest.skip("npm is needed once to download Pyodide and mermaid for the site (make site)")
    out = tmp_path_factory.mktemp("site") / "_site"
    result = subprocess.run(
        [sys.executable, "-m", "tools.sitebuild", "build", "--out", str(out)]
        + ["--allow-uncommitted", "--browser-notebooks", browser_notebooks],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode:
        pytest.fail(f"the site did not build:\n{result.stdout}\n{result.stderr}")
    return out


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The site as a room gets it: the student copies in the browser."""
    return build_site(tmp_path_factory, "student")


@pytest.fixture(scope="session")
def built_site_full(tmp_path_factory):
    """The site with the full notebooks in the browser (make site BROWSER_NOTEBOOKS=full)."""
    return build_site(tmp_path_factory, "full")


def serving_site(folder):
    """Serve folder on 127.0.0.1 in a thread; yield its URL."""
    server = make_server(folder, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def site_url(built_site):
    """The built site served on 127.0.0.1 for the whole session."""
    yield from serving_site(built_site)


@pytest.fixture(scope="session")
def site_url_full(built_site_full):
    """The site with the full notebooks in the browser, served on 127.0.0.1."""
    yield from serving_site(built_site_full)


def show_diagrams(tab, timeout=30_000):
    """Bring each Mermaid diagram near the screen in turn, as a reader scrolling down would (they are
    drawn as they come near), and wait until every one is drawn."""
    blocks = tab.locator(".jp-Mermaid")
    if not blocks.count():
        return
    for i in range(blocks.count()):
        blocks.nth(i).scroll_into_view_if_needed()
        tab.wait_for_function(
            "i => document.querySelectorAll('.jp-Mermaid')[i].matches("
            "'.jp-RenderedMermaid, .site-mermaid-error')",
            arg=i,
            timeout=timeout,
        )
    tab.wait_for_selector("body[data-diagrams='drawn']", state="attached", timeout=timeout)
    tab.evaluate("() => window.scrollTo(0, 0)")
