"""Student copies of the series: every exercise solution replaced by a starter comment, outputs cleared.

python -m companion_app.student [SOURCE] [DEST]     (default: notebooks -> student)
"""

import re
import sys
from pathlib import Path

import nbformat

SOLUTION_TAG = "solution"
STARTER = "# Your solution here — see the exercise above. The check in the next cell tells you when it works.\n"
#: The sentence that points at the collapsed solution, which a student copy does not have.
SOLUTION_HINT = re.compile(
    r"\s*\((?:The )?solution is in the collapsed cell[^()]*\)", re.IGNORECASE
)


def is_solution(cell):
    """True for a code cell tagged "solution"."""
    return cell.cell_type == "code" and SOLUTION_TAG in cell.metadata.get("tags", [])


def to_student(nb):
    """Return a copy of the notebook with solutions replaced by starters and every output cleared."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "markdown":
            cell.source = SOLUTION_HINT.sub("", cell.source)
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        if is_solution(cell):
            cell.source = STARTER
            tags = [t for t in cell.metadata.get("tags", []) if t != SOLUTION_TAG]
            cell.metadata["tags"] = [*tags, "exercise"]
            cell.metadata.get("jupyter", {}).pop("source_hidden", None)
            if not cell.metadata.get("jupyter", True):
                del cell.metadata["jupyter"]
    return nb


def build(source="notebooks", dest="student"):
    """Write a student copy of every source/*.ipynb into dest; return the written paths."""
    source, dest = Path(source), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(source.glob("*.ipynb")):
        target = dest / path.name
        nbformat.write(to_student(nbformat.read(path, as_version=4)), target)
        written.append(target)
    return written


def main(argv=None):
    """Entry point: build the student copies and say where they are."""
    args = sys.argv[1:] if argv is None else argv
    source, dest = (args + ["notebooks", "student"][len(args) :])[:2]
    written = build(source, dest)
    if not written:
        print(f"error: no notebooks in {source}", file=sys.stderr)
        return 1
    print(
        f"Wrote {len(written)} student notebooks to {dest}/ (solutions removed, outputs cleared)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
