"""Self-checks for the notebooks' exercises: each tells the learner, in words, whether an answer works."""

from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Verdict:
    """The result of a self-check: shown as a short report, truthy when every step passed."""

    title: str
    passed: list = field(default_factory=list)
    failed: list = field(default_factory=list)

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
        return "\n".join([head, *lines])


@contextmanager
def raising(app):
    """Let the learner's exceptions reach the check (it reports them in words) instead of a logged 500."""
    before = app.config.get("PROPAGATE_EXCEPTIONS")
    app.config["PROPAGATE_EXCEPTIONS"] = True
    try:
        yield app
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = before


def _text(response):
    """The response body as text."""
    return response.get_data(as_text=True)


def run_check(title, app, steps):
    """Run steps(verdict, app) on a learner's app; an exception becomes a failed step, not a traceback."""
    verdict = Verdict(title)
    with raising(app):
        try:
            steps(verdict, app)
        except Exception as error:  # the learner's bug, reported in words
            verdict.fail(f"the app raised {type(error).__name__}: {error}")
    return verdict


def check_remembers_name(app):
    """Notebook 01: GET /hello?name=Ada sets a cookie; later visits from the same client say Ada."""
    return run_check("Remember the visitor's name", app, _remembers_name)


def _remembers_name(verdict, app):
    client = app.test_client()
    first = client.get("/hello?name=Ada")
    if not verdict.expect(
        first.status_code == 200 and "Ada" in _text(first),
        "/hello?name=Ada greets Ada",
        f"/hello?name=Ada answered {first.status_code} {_text(first)!r}: it should greet Ada",
    ):
        return
    verdict.expect(
        "name=" in first.headers.get("Set-Cookie", ""),
        "the reply sets a cookie called name",
        "the reply sets no cookie called name: call response.set_cookie('name', ...)",
    )
    again = client.get("/hello")
    verdict.expect(
        "Ada" in _text(again),
        "a second visit without ?name= still greets Ada (the cookie came back)",
        f"a second visit answered {_text(again)!r}: read request.cookies.get('name')",
    )
    stranger = app.test_client().get("/hello")
    verdict.expect(
        stranger.status_code == 200 and "Ada" not in _text(stranger),
        "a new client with no cookie is not called Ada",
        f"a new client got {stranger.status_code} {_text(stranger)!r}: greet someone with no "
        "cookie and no ?name= as a stranger",
    )


def check_secret_key(key):
    """Notebook 00: a secret key is a long random string, not a word someone could guess."""
    verdict = Verdict("A good secret key")
    if not verdict.expect(
        isinstance(key, str),
        "it is a string",
        f"it is a {type(key).__name__}: make a string, e.g. with secrets.token_hex(32)",
    ):
        return verdict
    verdict.expect(
        len(key) >= 32,
        f"it is {len(key)} characters long (32 or more)",
        f"it is only {len(key)} characters long: use at least 32 (secrets.token_hex(32) gives 64)",
    )
    verdict.expect(
        len(set(key)) >= 10,
        "it mixes many different characters",
        "it repeats the same few characters: let the secrets module choose them",
    )
    verdict.expect(
        key.lower() not in {"secret", "changeme", "dev", "password", "super-secret-key"},
        "it is not a well-known placeholder",
        "it is a well-known placeholder that attackers try first",
    )
    return verdict
