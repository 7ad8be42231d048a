"""Student copies: no solution code left, and each notebook still runs up to its first exercise."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from companion_app.student import STARTER, build, is_solution

NOTEBOOKS_DIR = Path(__file__).parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))

pytestmark = pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks yet")


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    """The student copies of every notebook, built into a temporary folder."""
    dest = tmp_path_factory.mktemp("student")
    build(NOTEBOOKS_DIR, dest)
    return dest


def solution_lines(nb):
    """Lines that occur only in the notebook's solution cells (not in any other cell)."""
    other = {line.strip() for c in nb.cells if not is_solution(c) for line in c.source.splitlines()}
    return {
        line.strip()
        for c in nb.cells
        if is_solution(c)
        for line in c.source.splitlines()
        if line.strip() and line.strip() not in other
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_solution_code_and_no_outputs_remain(path, student_dir):
    original = nbformat.read(path, as_version=4)
    student = nbformat.read(student_dir / path.name, as_version=4)
    assert len(student.cells) == len(original.cells)
    lines = {line.strip() for c in student.cells for line in c.source.splitlines()}
    leaked = sorted(solution_lines(original) & lines)
    assert not leaked, f"solution code left in {path.name}: {leaked}"
    starters = [c for c in student.cells if c.source == STARTER]
    assert len(starters) == sum(is_solution(c) for c in original.cells)
    code = [c for c in student.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert not any(is_solution(c) for c in student.cells)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_runs_up_to_the_first_exercise(path, student_dir):
    nb = nbformat.read(student_dir / path.name, as_version=4)
    client = NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(NOTEBOOKS_DIR)}})
    ran, reached = 0, False
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.source == STARTER:
                reached = True
                break
            if cell.cell_type == "code":
                client.execute_cell(cell, index)  # raises CellExecutionError on any error
                ran += 1
    assert reached, "the student copy has no exercise starter"
    assert ran >= 2, "the copy ran too few cells to prove anything"
