"""The series' conventions, checked on every notebook: structure, committed outputs, re-runs."""

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
ACRONYMS = {"http": "HTTP", "sms": "SMS", "pyngrok": "pyngrok"}
REQUIRED = [
    "**What you'll build:**",
    "**What you'll learn**",
    "**Before you start:**",
    "## Summary",
    "## Try it yourself",
    "## What's next",
    "[Index](00-start-here.ipynb#The-series)",
]

pytestmark = pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks yet")


def title_for(path):
    """The title a notebook's name calls for: 01-see-why-http-forgets -> See why HTTP forgets."""
    words = path.stem.split("-")[1:]
    words = [ACRONYMS.get(w, w) for w in words]
    return " ".join([words[0].capitalize(), *words[1:]])


def markdown(nb):
    """All markdown text of a notebook."""
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook(request):
    """One notebook of the series, read as committed."""
    return request.param, nbformat.read(request.param, as_version=4)


def test_name_and_title_match(notebook):
    path, nb = notebook
    assert re.fullmatch(r"\d\d-[a-z0-9]+(-[a-z0-9]+)*\.ipynb", path.name)
    title = nb.cells[0].source.splitlines()[0]
    assert title.startswith("# ")
    assert title[2:].replace("-", " ") == title_for(path)  # "multi-step" is multi-step in the name


def test_opening_and_closing_sections(notebook):
    path, nb = notebook
    text = markdown(nb)
    missing = [part for part in REQUIRED if part not in text]
    assert not missing, f"{path.name} lacks {missing}"


def test_committed_executed_in_order_without_errors(notebook):
    path, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]


def test_outputs_show_no_local_paths(notebook):
    path, nb = notebook
    outputs = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert not re.search(r"/(root|home|Users|tmp|work)/[\w.-]+/", outputs)


def test_every_solution_has_a_self_check_after_it(notebook):
    path, nb = notebook
    for index, cell in enumerate(nb.cells):
        if "solution" in cell.metadata.get("tags", []):
            following = [c for c in nb.cells[index + 1 :] if c.cell_type == "code"][0]
            assert "checks.check_" in following.source, f"{path.name} cell {index}"


def test_few_cells_ignore_their_output(notebook):
    path, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    ignored = [c for c in code if re.search(r"NBVAL_(IGNORE_OUTPUT|SKIP)", c.source)]
    assert len(ignored) <= max(1, len(code) // 8)


def test_links_point_at_notebooks_that_exist(notebook):
    path, nb = notebook
    for target in re.findall(r"\]\((\d\d-[\w-]+\.ipynb)", markdown(nb)):
        assert (path.parent / target).exists(), target


@pytest.mark.slow
def test_runs_twice_in_one_kernel_and_writes_no_files(notebook):
    path, nb = notebook
    before = sorted(p.name for p in path.parent.iterdir())
    client = NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        for _ in range(2):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    client.execute_cell(cell, index)  # raises CellExecutionError on any error
    assert sorted(p.name for p in path.parent.iterdir()) == before


def series_times(text):
    """{"NN": minutes} from a series table: | NN | [Title](...) | ... | M min |."""
    return dict(re.findall(r"^\| (\d\d) \| \[.*\| (\d+) min \|$", text, flags=re.M))


def test_every_place_states_the_same_time_for_each_notebook(notebook):
    path, nb = notebook
    readme = series_times((path.parent.parent / "README.md").read_text(encoding="utf-8"))
    index = series_times(markdown(nbformat.read(path.parent / "00-start-here.ipynb", 4)))
    stated = re.search(r"\*\*Before you start:\*\*.*?About (\d+) minutes", markdown(nb), re.S)
    assert readme == index and len(readme) == len(NOTEBOOKS)
    assert stated and stated.group(1) == readme[path.name[:2]]
