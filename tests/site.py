"""Fixtures for the website's tests: the site built once per session and served on 127.0.0.1."""

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tools.sitebuild.serve import make_server

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The site, built once per session from the working tree (downloads cached in .site-cache/)."""
    cached = (ROOT / ".site-cache" / "npm").is_dir()
    if not cached and shutil.which("npm") is None:
        pytest.skip("npm is needed once to download Pyodide and mermaid for the site (make site)")
    out = tmp_path_factory.mktemp("site") / "_site"
    result = subprocess.run(
        [sys.executable, "-m", "tools.sitebuild", "build", "--out", str(out)],
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
def site_url(built_site):
    """The built site served on 127.0.0.1 for the whole session."""
    server = make_server(built_site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


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
