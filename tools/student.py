"""Student copies of the series: each solution replaced by a starter (its answer set to None), outputs cleared.

python -m tools.student [SOURCE] [DEST]     (default: notebooks -> student)
"""

import ast
import re
import sys
from pathlib import Path

import nbformat

SOLUTION_TAG = "solution"
STARTER = "# Your solution here — see the exercise above. The check in the next cell tells you when it works.\n"
#: The line that stands for an answer not written yet: its check then says so in a sentence.
PLACEHOLDER = "{name} = None  # not written yet: replace None with your answer\n"
#: The sentence that points at the collapsed solution, which a student copy does not have.
SOLUTION_HINT = re.compile(
    r"\s*\((?:The )?solution is in the collapsed cell[^()]*\)", re.IGNORECASE
)


def is_solution(cell):
    """True for a code cell tagged "solution"."""
    return cell.cell_type == "code" and SOLUTION_TAG in cell.metadata.get("tags", [])


def _names(source, kinds):
    """Names bound at the top level of source by the given statement kinds (none if it won't parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: such a cell defines no answer
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, kinds):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            else:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def _checked_names(source):
    """The plain names passed to checks.check_*(...) calls in source, in order."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [
        arg.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr.startswith("check_")
        for arg in node.args
        if isinstance(arg, ast.Name)
    ]


BINDINGS = (ast.Assign, ast.AnnAssign, ast.FunctionDef, ast.ClassDef)


def answer_names(nb, index):
    """The names the solution at cells[index] defines for its self-check, not defined before it."""
    cells = nb.cells
    earlier = set()
    for cell in cells[:index]:
        if cell.cell_type == "code" and not is_solution(cell):
            earlier |= _names(cell.source, BINDINGS)
    defined = _names(cells[index].source, BINDINGS)
    for cell in cells[index + 1 :]:
        if cell.cell_type == "code" and not is_solution(cell) and "checks.check_" in cell.source:
            names = _checked_names(cell.source)
            return [n for n in dict.fromkeys(names) if n in defined and n not in earlier]
    return []


def starter(names):
    """A starter cell: the comment, then each answer's name set to None until the learner writes it."""
    return STARTER + "".join(PLACEHOLDER.format(name=name) for name in names)


def to_student(nb):
    """Return a copy of the notebook with solutions replaced by starters and every output cleared."""
    nb = nbformat.from_dict(nb)
    names = {i: answer_names(nb, i) for i, cell in enumerate(nb.cells) if is_solution(cell)}
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        if cell.cell_type == "markdown":
            cell.source = SOLUTION_HINT.sub("", cell.source)
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        if is_solution(cell):
            cell.source = starter(names[index])
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
