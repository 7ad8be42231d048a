"""The notebooks in the browser: JupyterLite runs them, and the outputs match the committed ones.

This is strict nbval in the browser, on the site built with the full notebooks there (make site
BROWSER_NOTEBOOKS=full; a room gets the student copies): every in-process notebook runs from top to bottom in one
headless Chromium session, and each code cell's text outputs are compared with the committed ones
after tests/sanitize.cfg. A notebook that needs a real Python for part of its lesson runs every cell
it can and says, in one plain sentence, what needs a real Python: never a traceback.
"""

import re
from pathlib import Path

import pytest

from companion_app.inbrowser import NEEDS_REAL_PYTHON
from tests.support.lite import differences, open_from_page, run_notebook, tracebacks

#: The notebooks run in JupyterLite: minutes, so `make test-browser` runs them, not `make test`.
pytestmark = pytest.mark.lite

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = {nb.name[:2]: nb for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))}

#: Notebooks whose whole lesson runs in-process, so in the browser too.
IN_PROCESS = ["00", "02", "03", "05", "06"]
#: Notebooks whose local server is an in-process one in the browser (companion_app.serving.server.serve):
#: every cell runs, and only the outputs that name the server's address differ.
IN_PROCESS_SERVER = ["01"]
ADDRESS = re.compile(r"127\.0\.0\.1|LocalServer|Host")
#: Notebooks with a part that needs threads, sockets or processes (04's tunnel, 07's workers).
PARTLY = ["04", "07"]


@pytest.mark.slow
@pytest.mark.parametrize("number", IN_PROCESS)
def test_in_process_notebook_runs_in_the_browser_as_committed(number, browser_page, site_url_full):
    notebook = NOTEBOOKS[number]
    tab, watch = browser_page  # a new tab in the one browser session
    run = run_notebook(tab, site_url_full, notebook.name)
    assert watch.outside_requests == []
    assert tracebacks(run) == []
    assert differences(notebook, run.outputs) == []


@pytest.mark.slow
@pytest.mark.parametrize("number", PARTLY)
def test_partly_in_browser_notebook_says_what_needs_a_real_python(
    number, browser_page, site_url_full
):
    notebook = NOTEBOOKS[number]
    tab, watch = browser_page
    run = run_notebook(tab, site_url_full, notebook.name)
    assert watch.outside_requests == []
    assert tracebacks(run) == []
    shown = " ".join(text for cell in run.outputs for _, text in cell)
    assert NEEDS_REAL_PYTHON.lower() in " ".join(shown.split()).lower()


@pytest.mark.slow
@pytest.mark.parametrize("number", IN_PROCESS_SERVER)
def test_notebook_with_a_local_server_runs_in_process_in_the_browser(
    number, browser_page, site_url_full
):
    notebook = NOTEBOOKS[number]
    tab, watch = browser_page
    run = run_notebook(tab, site_url_full, notebook.name)
    assert watch.outside_requests == []
    assert tracebacks(run) == []
    committed = [d.partition("browser:")[0] for d in differences(notebook, run.outputs)]
    assert [d for d in committed if not ADDRESS.search(d)] == []


@pytest.mark.slow
def test_run_in_your_browser_opens_that_notebook_alone_however_many_came_before(
    browser_page, site_url
):
    tab, watch = browser_page  # one browser: JupyterLite's saved layout is shared by every visit
    opened = []
    for number in ["00", "03", "01", "06"]:
        _, notebooks_open = open_from_page(tab, site_url, NOTEBOOKS[number].name)
        shown = tab.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").count()
        opened.append((number, notebooks_open, shown > 0))
    assert opened == [(n, 1, True) for n in ["00", "03", "01", "06"]]
    assert watch.outside_requests == []
