"""The website as built and served: committed outputs, search, the home page, self-hosted Pyodide,
`make serve-site`. (Each page's own checks are in test_site_reader.py and test_site_on_a_phone.py.)
"""

import hashlib
import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import nbformat
import pytest

from tools.sitebuild.lite import pyodide_version

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def test_notebook_pages_show_the_committed_outputs(site_url, browser_page):
    notebook = NOTEBOOKS[3]
    nb = nbformat.read(notebook, as_version=4)
    chat = next(
        o["data"]["text/html"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "text/html" in o.get("data", {})
    )
    replies = re.findall(
        r"Hello Rey, thanks for the message!|Rey has messaged \+\d+ \d+ times\.", chat
    )
    tab, _ = browser_page
    tab.goto(f"{site_url}notebooks/{notebook.stem}.html")
    shown = tab.locator(".jp-OutputArea-output").all_text_contents()
    assert replies and all(any(reply in text for text in shown) for reply in replies)


@pytest.mark.parametrize(
    ("query", "page"),
    [
        ("X-Twilio-Signature", "docs/troubleshooting.html"),
        ("session cookie", f"notebooks/{NOTEBOOKS[3].stem}.html"),
        ("learning objectives", "docs/instructor-guide.html"),
    ],
)
def test_search_finds_across_notebooks_and_docs(query, page, site_url, browser_page):
    tab, _ = browser_page
    tab.goto(f"{site_url}search.html?q={query}")
    links = tab.eval_on_selector_all("#search-results a", "els => els.map(e => e.href)")
    assert any(link.startswith(site_url + page) for link in links)


def test_the_home_page_lists_the_series_with_times(site_url, browser_page):
    tab, _ = browser_page
    tab.goto(site_url)
    rows = tab.locator("table.site-series tbody tr")
    assert rows.count() == len(NOTEBOOKS)
    for i, notebook in enumerate(NOTEBOOKS):
        cells = rows.nth(i).locator("td").all_text_contents()
        assert cells[0] == notebook.name[:2]
        assert re.fullmatch(r"\d+ min", cells[3])
        assert cells[4].startswith("Run in your browser")


def test_pyodide_is_self_hosted_at_the_kernels_version_with_a_true_lock(built_site):
    pyodide = built_site / "lite" / "static" / "pyodide"
    assert json.loads((pyodide / "package.json").read_text())["version"] == pyodide_version()
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())["packages"]
    wheels = {whl.name for whl in pyodide.glob("*.whl")}
    assert {p["file_name"] for p in lock.values()} == wheels
    for package in lock.values():
        data = (pyodide / package["file_name"]).read_bytes()
        assert package["sha256"] == hashlib.sha256(data).hexdigest()
        assert package["file_name"].endswith("-none-any.whl")
        assert set(package["depends"]) <= set(lock)
    # requests reaches in-process servers in the browser (01), pyngrok fails there in a sentence
    # (04); gunicorn needs processes and regex has no pure wheel: neither is shipped.
    assert {"requests", "pyngrok"} <= set(lock)
    assert {"gunicorn", "regex"}.isdisjoint(lock)
    config = json.loads((built_site / "lite" / "jupyter-lite.json").read_text())
    kernel = config["jupyter-config-data"]["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"
    ]
    assert kernel["disablePyPIFallback"] is True
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.mjs"


def test_serve_site_prints_the_url_for_the_room_and_serves_it(built_site):
    server = subprocess.Popen(
        [sys.executable, "-m", "tools.sitebuild", "serve", "--out", str(built_site)]
        + ["--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [server.stdout.readline() for _ in range(3)]
        url = re.search(r"Write this on the board: (http://127\.0\.0\.1:\d+/)", "".join(lines))
        assert url, lines
        with urllib.request.urlopen(url.group(1), timeout=10) as response:  # noqa: S310
            assert b'table class="site-series"' in response.read()
        with urllib.request.urlopen(url.group(1) + "lite/static/pyodide/pyodide.asm.wasm") as r:  # noqa: S310
            assert r.headers["Content-Type"] == "application/wasm"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_board_url_names_this_machine_on_the_network_when_bound_to_all():
    from tools.sitebuild.serve import board_url, lan_address

    address = lan_address()
    expected = f"http://{address or '127.0.0.1'}:8000/"
    assert board_url("0.0.0.0", 8000) == expected  # noqa: S104
    assert board_url("192.0.2.7", 8080) == "http://192.0.2.7:8080/"
