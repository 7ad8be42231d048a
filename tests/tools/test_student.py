"""Student copies: no solution code left, and each runs end to end with every exercise untouched."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tools.student import PLACEHOLDER, STARTER, build, is_solution

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
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
    starters = [c for c in student.cells if c.source.startswith(STARTER)]
    assert len(starters) == sum(is_solution(c) for c in original.cells)
    code = [c for c in student.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert not any(is_solution(c) for c in student.cells)


def output_text(cell):
    """Everything a code cell showed: streams, results and errors, as text."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append("\n".join([f"{output.ename}: {output.evalue}", *output.traceback]))
        else:
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_runs_end_to_end_with_every_exercise_untouched(path, student_dir):
    nb = nbformat.read(student_dir / path.name, as_version=4)
    client = NotebookClient(
        nb,
        timeout=300,
        allow_errors=True,
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    failed = [
        output_text(c)[:300]
        for c in code
        if any(o.output_type == "error" for o in c.outputs) or "Traceback" in output_text(c)
    ]
    assert not failed, f"{path.name}: a cell failed in the student copy: {failed}"
    starters = [i for i, c in enumerate(nb.cells) if c.source.startswith(STARTER)]
    assert starters, "the student copy has no exercise starter"
    for index in starters:
        check = next(c for c in nb.cells[index + 1 :] if "checks.check_" in c.source)
        shown = output_text(check)
        assert shown.startswith("❌"), (
            f"{path.name}: an untouched exercise's check showed {shown!r}"
        )
        names = [
            line.split(" = ")[0]
            for line in nb.cells[index].source.splitlines()[1:]
            if line.endswith(PLACEHOLDER.split(" = ", 1)[1].rstrip("\n"))
        ]
        for name in names:
            assert f"`{name}` is not written yet" in shown, shown


@pytest.mark.slow
def test_a_full_notebook_run_without_its_solutions_shows_sentences_not_tracebacks():
    """A learner who never runs the hidden solution cells: each check says what is missing."""
    nb = nbformat.read(NOTEBOOKS_DIR / "03-count-messages-with-a-session-cookie.ipynb", 4)
    nb.cells = [c for c in nb.cells if not is_solution(c)]
    nb.cells.append(nbformat.v4.new_code_cell("print(a_name_no_exercise_uses)"))
    client = NotebookClient(
        nb, timeout=300, allow_errors=True, resources={"metadata": {"path": str(NOTEBOOKS_DIR)}}
    )
    client.execute()
    checks = [output_text(c) for c in nb.cells if c.source.startswith("checks.check_")]
    assert [text.splitlines()[0] for text in checks] == [
        "NameError: name 'reset_app' is not defined",
        "NameError: name 'hour_app' is not defined",
    ]
    assert "`reset_app` is not written yet" in checks[0]
    assert "`hour_app` is not written yet" in checks[1]
    assert "Write it in a new cell under the exercise (press B), run it" in checks[0]
    assert not any("Traceback" in text for text in checks)
    assert "Traceback" in output_text(nb.cells[-1]), "other mistakes keep their traceback"
