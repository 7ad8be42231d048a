"""What ran in the notebook: the cells run so far, a value typed into one, and the hidden solution's note."""

import ast
import functools
import re
import weakref

from companion_app.checks.verdict import WRITE_IT


def shell_now():
    """The running IPython shell, or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover -- the notebook extra installs IPython
        return None
    return get_ipython()


#: Each shell's cells as run since follow_cells, whether or not they were stored in its history.
_FOLLOWED = weakref.WeakKeyDictionary()


def follow_cells(shell=None):
    """In IPython, note every cell as it runs (nbval runs cells without storing them in In)."""
    shell = shell if shell is not None else shell_now()
    if shell is None or shell in _FOLLOWED:
        return
    cells = _FOLLOWED[shell] = []

    def note(info):
        try:
            cells.append(shell.transform_cell(info.raw_cell or ""))
        except Exception:  # a cell IPython cannot transform runs nothing we look for
            cells.append(info.raw_cell or "")

    shell.events.register("pre_run_cell", note)


def cells_run():
    """The cells run so far in this IPython session, oldest first (none outside IPython)."""
    shell = shell_now()
    if shell is None:
        return []
    if shell in _FOLLOWED:
        return list(_FOLLOWED[shell])
    return [cell for cell in shell.user_ns.get("In") or [] if isinstance(cell, str)]


def in_typed_code(value):
    """True when value appears literally in a cell run in this IPython session (typed, not computed)."""
    if not isinstance(value, str) or len(value) < 8:
        return False
    return any(value in cell for cell in cells_run())


#: The first line of every exercise's hidden solution cell in the full notebooks.
SOLUTION_MARKER = "# Solution — open only after trying"
#: The line added to a verdict about the hidden solution's answer rather than the learner's.
SOLUTION_NOTE = (
    "ℹ This checked the hidden solution's `{name}`, which replaces any answer of yours that ran "
    "before it: to check your own, run your cell again, then this check."
)


def bound_names(source):
    """The names a cell binds or changes (`app.config[...] = …`): assignments, def, class, import."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):  # a cell that does not parse ran nothing
        return set()
    names, todo = set(), list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)  # its body binds names of its own, not the cell's
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, ast.Store):
            root = node.value  # `app.config["X"] = …` changes app: it counts as defining it
            while isinstance(root, (ast.Attribute, ast.Subscript)):
                root = root.value
            if isinstance(root, ast.Name):
                names.add(root.id)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.split(".")[0])
        todo.extend(ast.iter_child_nodes(node))
    return names


def defining_cell(name):
    """The source of the last cell run that bound `name` (IPython syntax already turned into
    Python), or None outside IPython or when no cell did."""
    for cell in reversed(cells_run()):
        if name in cell and name in bound_names(cell):
            return cell
    return None


def judged_the_solution(name):
    """True when, in IPython, the last cell run that defined `name` is a hidden solution cell."""
    for cell in reversed(cells_run()):
        if name in cell and name in bound_names(cell):
            return cell.lstrip().startswith(SOLUTION_MARKER)
    return False


def judges(name):
    """Decorate a check of the answer `name`: note when it judged the hidden solution's answer."""

    def decorate(check):
        @functools.wraps(check)
        def checked(*args, **kwargs):
            verdict = check(*args, **kwargs)
            if judged_the_solution(name):
                verdict.notes.append(SOLUTION_NOTE.format(name=name))
            return verdict

        return checked

    return decorate


# --- In a notebook: a check run before its answer exists --------------------------------------

#: The names the notebooks' exercises ask the learner to define, as their self-checks use them.
ANSWER_NAMES = frozenset(
    {
        "my_key",
        "name_site",
        "shout",
        "reset_app",
        "hour_app",
        "my_signature",
        "broken_app",
        "edge_script",
        "help_app",
        "more_app",
        "make_day_app",
        "make_host",
    }
)


def _missing_answer(error):
    """The exercise answer a NameError is about, or None when it is about another name."""
    name = getattr(error, "name", None)
    if name is None:
        found = re.match(r"name '(\w+)' is not defined", str(error))
        name = found and found.group(1)
    return name if name in ANSWER_NAMES else None


def _show_name_error(shell, etype, value, tb, tb_offset=None):
    """IPython's handler for NameError: a sentence for a missing answer, else the usual traceback."""
    name = _missing_answer(value)
    if name is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return None
    sentence = (
        f"❌ Not checked yet: `{name}` is not written yet. {WRITE_IT[0].upper()}{WRITE_IT[1:]}."
    )
    shell._showtraceback(etype, value, [sentence])
    return [sentence]


def explain_missing_answers(shell=None):
    """In IPython, show a check run before its answer exists as a sentence instead of a traceback."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover -- the notebook extra installs IPython
            return
        shell = get_ipython()
    if shell is not None and not shell.custom_exceptions:
        shell.set_custom_exc((NameError,), _show_name_error)
