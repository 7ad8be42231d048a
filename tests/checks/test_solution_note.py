"""A check run after the hidden solution replaced the learner's answer says so, in a real IPython."""

import secrets

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from companion_app import checks
from companion_app.checks import cells as checked_cells

SOLUTION = """# Solution — open only after trying
import secrets
my_key = secrets.token_hex(32)
"""
LEARNER = 'my_key = "abc"\n'
CHECK = "checks.check_secret_key(my_key)"
NOTE = (
    "ℹ This checked the hidden solution's `my_key`, which replaces any answer of yours that ran "
    "before it: to check your own, run your cell again, then this check."
)


@pytest.fixture(params=["jupyter", "nbval"])
def shell(request):
    """A fresh IPython shell with the checks imported: cells kept in In (as Jupyter runs them),
    or followed as they run without history (as nbval runs them)."""
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    shell.store_history = request.param == "jupyter"
    if not shell.store_history:
        checks.follow_cells(shell)
    shell.run_cell("from companion_app import checks", store_history=shell.store_history)
    yield shell
    InteractiveShell.clear_instance()


def run(shell, *cells):
    """Run the cells in order, as Shift+Enter does; the last cell's value."""
    for cell in cells:
        result = shell.run_cell(cell, store_history=shell.store_history)
        assert result.error_in_exec is None, result.error_in_exec
    return result.result


def test_the_solution_run_after_the_learner_is_named(shell):
    verdict = run(shell, LEARNER, SOLUTION, CHECK)
    assert verdict
    assert repr(verdict).splitlines()[0] == "✅ A good secret key: it works."
    assert repr(verdict).splitlines()[-1] == NOTE


def test_the_learner_run_after_the_solution_is_judged(shell):
    verdict = run(shell, SOLUTION, LEARNER, CHECK)
    assert not verdict
    assert "it is only 3 characters long" in repr(verdict)
    assert "hidden solution" not in repr(verdict)


@pytest.mark.parametrize(
    "learner",
    [
        "my_key: str = 'abc'",
        "other, my_key = 1, 'abc'",
        "def my_key():\n    return 1",
        "class my_key:\n    pass",
        "from string import ascii_letters as my_key",
    ],
    ids=["annotated", "tuple", "def", "class", "import-as"],
)
def test_every_way_of_defining_the_answer_counts_as_the_learners(shell, learner):
    verdict = run(shell, SOLUTION, learner, CHECK)
    assert not verdict
    assert "hidden solution" not in repr(verdict)


def test_a_cell_that_only_reads_the_answer_is_not_its_definition(shell):
    verdict = run(shell, LEARNER, SOLUTION, "print(len(my_key))", CHECK)
    assert repr(verdict).splitlines()[-1] == NOTE


def test_changing_the_app_counts_as_defining_it(shell):
    solution = '# Solution — open only after trying\nsite.config["X"] = 1\n'
    cells = ["from flask import Flask\nsite = Flask('s')", solution]
    run(shell, *cells)
    assert checked_cells.judged_the_solution("site")
    run(shell, 'site.config["X"] = 2')
    assert not checked_cells.judged_the_solution("site")


def test_outside_ipython_nothing_is_added():
    InteractiveShell.clear_instance()
    verdict = checks.check_secret_key(secrets.token_hex(32))
    assert repr(verdict).splitlines() == [
        "✅ A good secret key: it works.",
        "  ✔ it is a string",
        "  ✔ it is 64 characters long (32 or more)",
        "  ✔ it mixes many different characters",
        "  ✔ it is not a well-known placeholder",
    ]


def test_a_check_run_before_the_answer_exists_points_at_a_new_cell(shell, capsys):
    checks.explain_missing_answers(shell)
    shell.run_cell("checks.check_remembers_name(name_site)", store_history=shell.store_history)
    out = capsys.readouterr().out
    assert (
        "❌ Not checked yet: `name_site` is not written yet. Write it in a new cell under the "
        "exercise (press B), run it, then run this check." in out
    )
    assert "Traceback" not in out
    assert "exercise cell above" not in out


def test_a_solution_that_changes_the_learners_app_is_named(shell):
    setup = (
        "from companion_app import create_app\n"
        "behind_tunnel = create_app({'SECRET_KEY': 'k' * 32, 'TWILIO_AUTH_TOKEN': 'token'})"
    )
    learner = "behind_tunnel.config['PUBLIC_URL'] = 'http://example.ngrok.app'"
    solution = (
        "# Solution — open only after trying\n"
        "behind_tunnel.config['PUBLIC_URL'] = 'https://example.ngrok.app'"
    )
    check = "checks.check_accepts_twilio_behind_tunnel(behind_tunnel)"
    named = run(shell, setup, learner, solution, check)
    assert named
    assert repr(named).splitlines()[-1] == NOTE.replace("my_key", "behind_tunnel")
    judged = run(shell, learner, check)
    assert not judged
    assert "hidden solution" not in repr(judged)


@pytest.mark.parametrize("cell", ["my_key = (", "my_key = 'a\0'", "%time my_key = 1"])
def test_a_cell_that_does_not_parse_defines_nothing(cell):
    assert checked_cells.bound_names(cell) == set()
