"""Fixtures for the website's tests: the site built once per session and served on 127.0.0.1.

The site is built from the checkout's tracked files (changes not committed included, so the tests
see the work in progress): built_site as a room gets it, student copies in the browser;
built_site_full with the full notebooks in the browser, which the in-browser nbval compares.
"""

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from tools.sitebuild.serve import make_server

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
DOCS = sorted((ROOT / "docs").glob("*.md"))
NOTEBOOK_PAGES = [f"notebooks/{nb.stem}.html" for nb in NOTEBOOKS]
#: Every kind of page on the site.
PAGES = [
    "index.html",
    "search.html?q=session+cookie",
    *[f"docs/{doc.stem}.html" for doc in DOCS],
    *NOTEBOOK_PAGES,
]
#: Phone widths, CSS px: a common phone and the narrowest still in use.
PHONES = [390, 320]
#: Seconds a site build may take (a cold one fetches nothing: the downloads are cached first).
BUILD_SECONDS = 900


def build_site(tmp_path_factory, browser_notebooks):
    """Build the site from the checkout's tracked files, once per test run (downloads cached).

    Under pytest-xdist every worker asks for it; the first one builds it into the run's shared
    temporary folder and the others wait for that build, instead of each building its own.
    """
    cached = (ROOT / ".site-cache" / "npm").is_dir()
    if not cached and shutil.which("npm") is None:
        pytest.skip("npm is needed once to download Pyodide and mermaid for the site (make site)")
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # this run's folder, shared by its workers (not by other runs)
    folder = base / f"site-{browser_notebooks}"
    out, done, failed = folder / "_site", folder / "built", folder / "failed"
    try:
        folder.mkdir()  # atomic: exactly one worker gets to build
    except FileExistsError:
        deadline = time.monotonic() + BUILD_SECONDS
        while not done.exists():
            if failed.exists():
                pytest.fail(failed.read_text(encoding="utf-8"))
            if time.monotonic() > deadline:
                pytest.fail(f"another worker's site build took more than {BUILD_SECONDS} s")
            time.sleep(0.2)
        return out
    message = f"the site build did not finish within {BUILD_SECONDS} s"
    try:
        result = subprocess.run(
            [sys.executable, "-m", "tools.sitebuild", "build", "--out", str(out)]
            + ["--allow-uncommitted", "--browser-notebooks", browser_notebooks],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=BUILD_SECONDS,
            check=False,
        )
        if result.returncode == 0:
            done.touch()
            return out
        message = f"the site did not build:\n{result.stdout}\n{result.stderr}"
    finally:
        if not done.exists():
            failed.write_text(message, encoding="utf-8")  # the waiting workers say it too
    pytest.fail(message)


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


def words(text):
    """Whitespace folded, as innerText and a source line are compared."""
    return " ".join(text.split())


def open_page(tab, url, width=1280, height=844):
    """Go to url at a screen width, with its diagrams drawn."""
    tab.set_viewport_size({"width": width, "height": height})
    tab.goto(url)  # the load event: the page's own script (search, diagrams to draw) has run
    show_diagrams(tab)


def at(pages, widths):
    """Parameters for the site_view fixture (indirect=True): each page at each width."""
    return [pytest.param((page, width), id=f"{page}-{width}") for page in pages for width in widths]


@pytest.fixture(scope="module")
def site_tab(browser_context):
    """{page: tab}: the tab site_view last opened a page in, kept for that page's other widths."""
    held = {}
    yield held
    for tab in held.values():
        tab.close(run_before_unload=False)


#: Resolves after the browser has drawn two frames (the site's script redoes its layout work in
#: the frame after a resize).
TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


@pytest.fixture(scope="module")
def site_view(request, browser_context, site_tab, site_url):
    """(page, tab): a page of the site opened at a width, once for every test that only looks at it.

    A module-scoped fixture that each test parametrizes (indirect): pytest runs all the tests of one
    view, then the next's, so each page is loaded once per file. The same page at another width
    (at() puts them one after the other) is the loaded page with its window resized, as a phone
    turned or a window narrowed: the layout is the CSS's, and the site's script redoes the one
    thing it measures (which boxes scroll sideways) on resize. A test that changes its view (the
    reader's solutions test opens them) is written last in its file, so it runs last on that view.
    """
    from tests.support.browser import PageWatch

    page, width = request.param
    tab = site_tab.get(page)
    if tab is None:
        for old in site_tab.values():
            old.close(run_before_unload=False)
        site_tab.clear()
        tab = browser_context.new_page()
        tab.watch = PageWatch(tab)  # console errors and requests off this machine, from the start
        open_page(tab, site_url + page, width=width)
        site_tab[page] = tab
    elif tab.viewport_size["width"] != width:
        tab.set_viewport_size({"width": width, "height": tab.viewport_size["height"]})
        tab.evaluate(TWO_FRAMES)
        tab.evaluate("() => window.scrollTo(0, 0)")
    yield page, tab


def mermaid_blocks(path):
    """How many Mermaid diagrams the source file has (```mermaid fences)."""
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    return len(re.findall(r"^\s*```mermaid\s*$", text, flags=re.M))


#: The notebook pages with a diagram.
DIAGRAM_PAGES = [f"notebooks/{nb.stem}.html" for nb in NOTEBOOKS if mermaid_blocks(nb)]


def source_of(page):
    """The repository file a page is made from, or None."""
    stem = Path(page).stem
    if page.startswith("notebooks/"):
        return ROOT / "notebooks" / f"{stem}.ipynb"
    if page.startswith("docs/"):
        return ROOT / "docs" / f"{stem}.md"
    return None


class Ids(HTMLParser):
    """Every id in a page."""

    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(value for name, value in attrs if name in ("id", "name") and value)


def ids_in(path):
    parser = Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.ids
