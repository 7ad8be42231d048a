"""Run a notebook in JupyterLite (headless Chromium) and compare its outputs as strict nbval does.

The notebook app has no window.jupyterapp: everything is read from the DOM. Outputs are compared
per code cell after nbval's own sanitizers (tests/sanitize.cfg); HTML outputs by their text.
"""

import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import mistune
import nbformat
from nbval.plugin import get_sanitize_patterns

ROOT = Path(__file__).resolve().parents[2]
SANITIZERS = get_sanitize_patterns((ROOT / "tests" / "sanitize.cfg").read_text(encoding="utf-8"))

#: What the DOM calls each kind of output, as nbformat names it.
DOM_KINDS = {
    "application/vnd.jupyter.stdout": "stdout",
    "application/vnd.jupyter.stderr": "stderr",
    "text/html": "html",
}

#: Markdown as JupyterLab renders it (tables included), to compare by text.
MARKDOWN = mistune.create_markdown(plugins=["table", "strikethrough"])

#: The notebook on screen, and an output that shows an exception.
VISIBLE = ".jp-NotebookPanel:not(.lm-mod-hidden)"
ERROR = (
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]:has-text("Traceback")'
)

READ_OUTPUTS = """cells => cells.map(cell => [...cell.querySelectorAll('.jp-OutputArea-output')]
    .map(out => [out.getAttribute('data-mime-type') || '', out.textContent]))"""


@dataclass
class Run:
    """What happened when a notebook ran in the browser."""

    load_to_idle: float = 0.0
    load_to_first_output: float | None = None
    load_to_last_output: float = 0.0
    outputs: list = field(default_factory=list)
    screenshot: Path | None = None


class Text(HTMLParser):
    """The text of an HTML fragment, as textContent gives it (scripts and styles included)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def html_text(fragment):
    parser = Text()
    parser.feed(fragment)
    return "".join(parser.parts)


def sanitize(text):
    """nbval's sanitizers, then whitespace runs folded to one space."""
    for regex, replace in SANITIZERS:
        text = re.sub(regex, replace, text)
    return " ".join(text.split())


def merged(outputs):
    """Consecutive outputs of the same stream joined, as the notebook shows them."""
    result = []
    for kind, text in outputs:
        if result and kind in ("stdout", "stderr") and result[-1][0] == kind:
            result[-1] = (kind, result[-1][1] + text)
        else:
            result.append((kind, text))
    return [(kind, sanitize(text)) for kind, text in result]


def ignored(cell):
    """Cells whose outputs nbval does not compare."""
    tags = set(cell.get("metadata", {}).get("tags", []))
    first = cell.source.lstrip().split("\n", 1)[0]
    return (
        cell.get("execution_count") is None
        or tags & {"nbval-ignore-output", "nbval-skip"}
        or first.startswith(("# NBVAL_IGNORE_OUTPUT", "# NBVAL_SKIP"))
    )


def committed_outputs(path):
    """[(kind, text), ...] per code cell, or None for a cell nbval would not compare."""
    nb = nbformat.read(path, as_version=4)
    cells = []
    for cell in (c for c in nb.cells if c.cell_type == "code"):
        if ignored(cell):
            cells.append(None)
            continue
        outputs = []
        for out in cell.outputs:
            if out.output_type == "stream":
                outputs.append((out.name, out.text))
            elif out.output_type == "error":
                outputs.append(("error", "\n".join(out.traceback)))
            elif "text/markdown" in out.data:
                outputs.append(("text/markdown", html_text(MARKDOWN(out.data["text/markdown"]))))
            elif "text/html" in out.data:
                outputs.append(("html", html_text(out.data["text/html"])))
            elif "text/plain" in out.data:
                outputs.append(("text/plain", out.data["text/plain"]))
        cells.append(merged(outputs))
    return cells


def browser_outputs(dom_cells):
    """The DOM's outputs in the same form as committed_outputs."""
    return [
        merged([(DOM_KINDS.get(mime, mime), text) for mime, text in cell]) for cell in dom_cells
    ]


def differences(path, dom_cells):
    """Human-readable differences between the committed outputs and the browser's."""
    expected = committed_outputs(path)
    got = browser_outputs(dom_cells)
    if len(expected) != len(got):
        return [f"{len(expected)} code cells in the notebook, {len(got)} in the browser"]
    return [
        f"cell {i + 1}:\n  committed: {want}\n  browser:   {have}"
        for i, (want, have) in enumerate(zip(expected, got, strict=True))
        if want is not None and want != have
    ]


def kernel_status(page):
    """The kernel's status as the status bar shows it ("Python (Pyodide) | Idle"), lower case."""
    texts = page.eval_on_selector_all(
        ".jp-StatusBar-TextItem", "els => els.map(e => e.textContent)"
    )
    for text in texts:
        if "|" in text:
            return text.rsplit("|", 1)[1].strip().lower()
    return None


def run_notebook(page, url, name, timeout=240, screenshot=None, navigate=True):
    """Open name in JupyterLite at url, run all cells, and return a Run with the DOM's outputs.

    It opens the way a reader does, from the notebook's page, so that only that notebook opens
    (the notebooks opened before it in the same browser are not restored beside it); times count
    from the click. navigate=False: the page is already on its way there.
    """
    run = Run()
    if navigate:  # as a reader does: "Run in your browser" on the notebook's page
        page.goto(f"{url}notebooks/{Path(name).stem}.html")
    started = time.monotonic()
    if navigate:
        page.click(".site-launch a.site-primary")
    page.wait_for_selector(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell", timeout=timeout * 1000
    )
    deadline = started + timeout
    while kernel_status(page) != "idle":
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: the kernel was not idle after {timeout} s")
        page.wait_for_timeout(250)
    run.load_to_idle = time.monotonic() - started
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell")
    # Clear the committed outputs first, so that every output read below is the browser's own.
    page.locator(".lm-MenuBar-itemLabel", has_text="Edit").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Clear Outputs of All Cells").first.click()
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_timeout(300)
    while True:
        prompts = page.eval_on_selector_all(
            ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt",
            "els => els.map(e => e.textContent)",
        )
        has_output = (
            page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output").count() > 0
        )
        if has_output and run.load_to_first_output is None:
            run.load_to_first_output = time.monotonic() - started
        idle = kernel_status(page) == "idle"
        if idle and not any("*" in p for p in prompts):
            break
        if idle and page.locator(f"{VISIBLE} {ERROR}").count():
            break  # Run All stops at a cell that raised; the cells after it stay queued
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: still running after {timeout} s")
        page.wait_for_timeout(250)
    run.load_to_last_output = time.monotonic() - started
    run.outputs = cells.evaluate_all(READ_OUTPUTS)
    if screenshot:
        page.screenshot(path=str(screenshot))
        run.screenshot = screenshot
    return run


TRACEBACK = re.compile(r"Traceback \(most recent call last\)|\w+Error: |\w+Exception: ")


def tracebacks(run):
    """The outputs that show a traceback or an exception."""
    return [
        (i + 1, text[:300])
        for i, cell in enumerate(run.outputs)
        for mime, text in cell
        if TRACEBACK.search(text)
    ]


def open_from_page(page, url, notebook, timeout=240):
    """Click "Run in your browser" on a notebook's page; (seconds to kernel idle, notebook tabs open).

    The clock starts at the click, as a reader's wait does.
    """
    page.goto(f"{url}notebooks/{Path(notebook).stem}.html")
    started = time.monotonic()
    page.click(".site-launch a.site-primary")
    page.wait_for_selector(f"{VISIBLE} .jp-CodeCell", timeout=timeout * 1000)
    while kernel_status(page) != "idle":
        if time.monotonic() > started + timeout:
            raise TimeoutError(f"{notebook}: the kernel was not idle after {timeout} s")
        page.wait_for_timeout(100)
    seconds = time.monotonic() - started
    tabs = page.locator(".jp-NotebookPanel").count()
    return seconds, tabs
