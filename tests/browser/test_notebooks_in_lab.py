"""The notebooks as a reader sees them in JupyterLab, in headless Chromium: hidden solutions, diagrams."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.support.browser import PageWatch, free_port, serving

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SHOTS = os.environ.get("SMS_COOKIES_SCREENSHOTS")  # a folder to keep screenshots in, if set
MAX_DIAGRAM_HEIGHT = 700  # px, at a 1280 px wide window
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"  # the notebook on screen

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving the repository on 127.0.0.1, no token, every cell rendered; stopped after."""
    home = tmp_path_factory.mktemp("lab")
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Render every cell, not only those on screen, so the whole notebook can be read.
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port = free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", "--ServerApp.token=", "--ServerApp.password=",
        "--ServerApp.port_retries=0", f"--ServerApp.root_dir={ROOT}", "--LabApp.news_url=",
        "--ServerApp.allow_root=True",
        # window.jupyterapp: the tests open each notebook with JupyterLab's own command, in one
        # page, instead of loading the whole of JupyterLab again for each.
        "--LabApp.expose_app_in_browser=True",
        # Lab saves a checkpoint of each file it opens: here, not in the learner's checkout.
        f"--FileCheckpoints.checkpoint_dir={home / 'checkpoints'}",
    ]  # fmt: skip
    log = (home / "lab.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        with serving(process, f"{url}/api/status", log=home / "lab.log"):
            yield url
    finally:
        log.close()


def open_notebook(page, path):
    """Open a notebook in the JupyterLab of page (others closed) and wait until its cells and
    diagrams have rendered."""
    page.evaluate(
        """async path => {
            const app = window.jupyterapp;
            await app.restored;
            await app.commands.execute("application:close-all");
            await app.commands.execute("docmanager:open", {path});
        }""",
        f"notebooks/{path.name}",
    )
    page.wait_for_selector(f"{NOTEBOOK} .jp-Cell", timeout=60_000)
    nb = nbformat.read(path, as_version=4)
    page.wait_for_function(
        "n => document.querySelectorAll('.jp-Notebook .jp-Cell').length >= n",
        arg=len(nb.cells),
        timeout=60_000,
    )
    diagrams = sum(c.source.count("```mermaid") for c in nb.cells if c.cell_type == "markdown")
    if diagrams:
        page.wait_for_function(
            "n => [...document.querySelectorAll('.jp-RenderedMermaid img')].filter(i => i.complete && i.naturalHeight).length >= n",
            arg=diagrams,
            timeout=60_000,
        )
    return nb


#: Reads the diagram's SVG back from its data: URL into the page and returns the boxes of its node
#: and edge labels (flowcharts, state diagrams), in the SVG's own scale.
LABEL_BOXES = """img => {
  const svg = decodeURIComponent(img.src.slice(img.src.indexOf(',') + 1));
  const holder = document.createElement('div');
  holder.style.cssText = `position:absolute;left:0;top:0;width:${img.naturalWidth}px`;
  holder.innerHTML = svg.slice(svg.indexOf('<svg'));
  document.body.appendChild(holder);
  const boxes = [...holder.querySelectorAll('g.edgeLabel, g.node')]
    .map(e => [e.textContent.trim(), e.getBoundingClientRect()])
    .filter(([text, r]) => text && r.width > 0 && r.height > 0)
    .map(([text, r]) => [text, r.left, r.top, r.right, r.bottom]);
  holder.remove();
  return boxes;
}"""


def overlapping(boxes):
    """Pairs of labels that cover more than a tenth of the smaller one."""
    pairs = []
    for i, (a, *box_a) in enumerate(boxes):
        for b, *box_b in boxes[i + 1 :]:
            width = min(box_a[2], box_b[2]) - max(box_a[0], box_b[0])
            height = min(box_a[3], box_b[3]) - max(box_a[1], box_b[1])
            smaller = min((box[2] - box[0]) * (box[3] - box[1]) for box in (box_a, box_b))
            if width > 0 and height > 0 and width * height > smaller / 10:
                pairs.append((a, b))
    return pairs


def shot(element, name):
    """Keep a screenshot of the element when SMS_COOKIES_SCREENSHOTS names a folder."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        element.screenshot(path=str(Path(SHOTS) / name))


def solution_lines(cell, elsewhere):
    """The lines of a solution that would give it away: code lines the exercise text does not show."""
    lines = [line.strip() for line in cell.source.splitlines() if not line.startswith("# Solution")]
    return [line for line in lines if len(line) > 12 and line not in elsewhere]


@pytest.fixture(scope="module")
def lab_page(browser_context, lab):
    """One tab of JupyterLab (no tabs from before), loaded once for the module."""
    page = browser_context.new_page()
    watch = PageWatch(page)
    page.goto(f"{lab}/lab?reset")  # ?reset: no tabs from before
    page.wait_for_function("() => !!window.jupyterapp", timeout=60_000)
    yield page, watch
    page.close(run_before_unload=False)


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=lambda p: p.name)
def opened(request, lab_page):
    """Each notebook opened once, for every test of this module to look at.

    (A module-scoped parameter: pytest runs all of one notebook's tests, then the next's.)
    """
    page, watch = lab_page
    watch.console_errors.clear()
    nb = open_notebook(page, request.param)
    return request.param, nb, page, watch


def test_solutions_stay_hidden_until_opened(opened):
    path, nb, page, watch = opened
    # What the rest of the notebook shows anyway (a solution may reuse lines of the lesson).
    elsewhere = "\n".join(
        c.source for c in nb.cells if "solution" not in c.metadata.get("tags", [])
    )
    shown = page.inner_text(NOTEBOOK)
    for index, cell in enumerate(nb.cells):
        if "solution" not in cell.metadata.get("tags", []):
            continue
        leaks = [line for line in solution_lines(cell, elsewhere) if line in shown]
        assert not leaks, f"{path.name} cell {index} shows its solution: {leaks}"
        assert cell.source.startswith("# Solution — open only after trying")
        element = page.locator(f"{NOTEBOOK} .jp-Cell").nth(index)
        element.evaluate("e => e.scrollIntoView()")
        assert "Solution — open only after trying" in element.inner_text()
        shot(element, f"{path.stem}-solution-{index}.png")
        check = next(c for c in nb.cells[index + 1 :] if c.cell_type == "code")
        assert check.source.splitlines()[0].strip() in shown  # the self-check stays visible


def test_every_diagram_renders_readably(opened):
    path, nb, page, watch = opened
    expected = sum(c.source.count("```mermaid") for c in nb.cells if c.cell_type == "markdown")
    diagrams = page.locator(f"{NOTEBOOK} .jp-RenderedMermaid")
    assert diagrams.count() == expected
    width = page.locator(f"{NOTEBOOK} .jp-MarkdownOutput").first.bounding_box()["width"]
    for n in range(expected):
        diagram = diagrams.nth(n)
        diagram.evaluate("e => e.scrollIntoView({block: 'center'})")
        assert "Syntax error" not in diagram.inner_text()
        assert not diagram.locator(".jp-mod-warning, .error-icon").count()
        image = diagram.locator("img")
        page.wait_for_function("i => i.complete && i.naturalHeight > 0", arg=image.element_handle())
        box = image.bounding_box()
        shot(diagram, f"{path.stem}-diagram-{n}.png")
        assert 40 < box["height"] < MAX_DIAGRAM_HEIGHT, f"{path.name} diagram {n}: {box}"
        assert box["width"] <= width + 1, f"{path.name} diagram {n}: {box}"
        assert not overlapping(image.evaluate(LABEL_BOXES)), f"{path.name} diagram {n}"
    assert not [e for e in watch.console_errors if re.search("mermaid", e, re.I)]


def test_the_instructor_guide_link_in_07_opens_the_guide_in_lab(lab_page):
    """07's link to docs/instructor-guide.md (a path relative to the notebook) opens the guide."""
    page, watch = lab_page
    open_notebook(page, ROOT / "notebooks" / "07-run-it-for-real.ipynb")
    # From here on: what the click does (closing the notebook before can leave JupyterLab's own
    # "Could not restore the debugger state" in the console: not the link's doing).
    watch.console_errors.clear()
    page.locator(f'{NOTEBOOK} .jp-RenderedMarkdown a[href*="instructor-guide"]').first.click()
    guide = page.locator(".jp-RenderedMarkdown h1", has_text="Instructor guide")
    guide.wait_for(timeout=30_000)
    tabs = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tabLabel").all_inner_texts()
    assert "instructor-guide.md" in tabs
    assert page.locator(".jp-Dialog").count() == 0  # no "File Load Error"
    assert watch.console_errors == []
