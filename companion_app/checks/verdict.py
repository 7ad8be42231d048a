"""What a check answers: a Verdict of steps, and the sentences for a missing answer or a learner's error."""

from contextlib import contextmanager
from dataclasses import dataclass, field

#: Where a learner writes an answer (the cell above a check is the hidden solution).
WRITE_IT = "write it in a new cell under the exercise (press B), run it, then run this check"


@dataclass
class Verdict:
    """The result of a self-check: shown as a short report, truthy when every step passed."""

    title: str
    passed: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def ok(self, text):
        """Record a step that worked."""
        self.passed.append(text)

    def fail(self, text):
        """Record a step that did not work, with a hint."""
        self.failed.append(text)

    def expect(self, condition, good, bad):
        """Record `good` when condition holds, else `bad`; return the condition."""
        (self.ok if condition else self.fail)(good if condition else bad)
        return condition

    def __bool__(self):
        return not self.failed

    def __repr__(self):
        head = f"{'✅' if self else '❌'} {self.title}: {'it works' if self else 'not yet'}."
        lines = [f"  ✔ {text}" for text in self.passed] + [f"  ✘ {text}" for text in self.failed]
        return "\n".join([head, *lines, *self.notes])


def kind_of(value):
    """How a value reads in a sentence: 'a function (hello)', 'the str 'abc'', 'a dict'."""
    if callable(value) and hasattr(value, "__name__"):
        return f"a function ({value.__name__})"
    if isinstance(value, (str, bytes, int, float, bool)):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "…"
        return f"the {type(value).__name__} {shown}"
    return f"a {type(value).__name__}"


def not_written(title, name, answer, kind, fits):
    """A failed Verdict when answer is None (not written yet) or not `kind`; None when it fits."""
    if answer is None or answer is Ellipsis:
        verdict = Verdict(title)
        verdict.fail(f"`{name}` is not written yet: {WRITE_IT}")
        return verdict
    if not fits(answer):
        verdict = Verdict(title)
        verdict.fail(f"`{name}` should be {kind}, not {kind_of(answer)}")
        return verdict
    return None


def is_app(answer):
    """True for a Flask app (anything with config and a test client)."""
    return hasattr(answer, "config") and callable(getattr(answer, "test_client", None))


def call_name(factory, default):
    """How the learner's function reads in a hint: its own name, or the exercise's for a lambda."""
    name = getattr(factory, "__name__", "")
    return name if name.isidentifier() else default


def app_from(title, factory, argument, call):
    """(app, None) from factory(argument), or (None, a failed Verdict saying what went wrong).

    `call` is how the call reads in a hint, such as "make_day_app(clock)".
    """
    try:
        app = factory(argument)
    except Exception as error:  # the learner's bug, reported in words
        verdict = Verdict(title)
        verdict.fail(f"{call} raised {type(error).__name__}: {error}")
        return None, verdict
    if not is_app(app):
        verdict = Verdict(title)
        verdict.fail(f"{call} returned {kind_of(app)}: return the Flask app")
        return None, verdict
    return app, None


def check_app(title, name, app, steps):
    """run_check for an answer that is a Flask app, or the sentence saying it is missing or not one."""
    missing = not_written(title, name, app, "a Flask app (made with Flask(...))", is_app)
    return missing if missing is not None else run_check(title, app, steps)


@contextmanager
def raising(app):
    """Let the learner's exceptions reach the check (it reports them in words) instead of a logged 500."""
    before = app.config.get("PROPAGATE_EXCEPTIONS")
    app.config["PROPAGATE_EXCEPTIONS"] = True
    try:
        yield app
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = before


def text_of(response):
    """The response body as text."""
    return response.get_data(as_text=True)


def raised(error):
    """An exception from the learner's code, as a sentence with a hint for the usual ones."""
    text = f"the app raised {type(error).__name__}: {error}"
    if isinstance(error, KeyError):
        text += " (read a value that may be missing with .get(...), which gives None instead)"
    return text


def run_check(title, app, steps):
    """Run steps(verdict, app) on a learner's app; an exception becomes a failed step, not a traceback."""
    verdict = Verdict(title)
    with raising(app):
        try:
            steps(verdict, app)
        except Exception as error:  # the learner's bug, reported in words
            verdict.fail(raised(error))
    return verdict
