"""Self-checks for the notebooks' exercises: each tells the learner, in words, whether an answer works.

Every check probes the behaviour its exercise asks for at each step where a plausible wrong answer
would show, and turns a missing answer (the student copy's placeholder ``None``), an answer of the
wrong kind and an exception in the learner's code into a sentence, never a traceback.
"""

import ast
import functools
import hashlib
import re
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field

from werkzeug.http import parse_cookie
from werkzeug.middleware.proxy_fix import ProxyFix

from companion_app import create_app
from companion_app.app.directory import DEFAULT_STAFF, find_staff
from companion_app.simulator import FakeClock, TwilioSimulator
from companion_app.teaching.verify import AUTH_TOKEN, Step, compare, outcome, quiet_logs, run_script


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


def _kind_of(value):
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
        verdict.fail(f"`{name}` should be {kind}, not {_kind_of(answer)}")
        return verdict
    return None


def _is_app(answer):
    """True for a Flask app (anything with config and a test client)."""
    return hasattr(answer, "config") and callable(getattr(answer, "test_client", None))


def check_app(title, name, app, steps):
    """run_check for an answer that is a Flask app, or the sentence saying it is missing or not one."""
    missing = not_written(title, name, app, "a Flask app (made with Flask(...))", _is_app)
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


def _text(response):
    """The response body as text."""
    return response.get_data(as_text=True)


def _raised(error):
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
            verdict.fail(_raised(error))
    return verdict


def _shell():
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
    shell = shell if shell is not None else _shell()
    if shell is None or shell in _FOLLOWED:
        return
    cells = _FOLLOWED[shell] = []

    def note(info):
        try:
            cells.append(shell.transform_cell(info.raw_cell or ""))
        except Exception:  # a cell IPython cannot transform runs nothing we look for
            cells.append(info.raw_cell or "")

    shell.events.register("pre_run_cell", note)


def _cells_run():
    """The cells run so far in this IPython session, oldest first (none outside IPython)."""
    shell = _shell()
    if shell is None:
        return []
    if shell in _FOLLOWED:
        return list(_FOLLOWED[shell])
    return [cell for cell in shell.user_ns.get("In") or [] if isinstance(cell, str)]


def _in_typed_code(value):
    """True when value appears literally in a cell run in this IPython session (typed, not computed)."""
    if not isinstance(value, str) or len(value) < 8:
        return False
    return any(value in cell for cell in _cells_run())


#: The first line of every exercise's hidden solution cell in the full notebooks.
SOLUTION_MARKER = "# Solution — open only after trying"
#: Where a learner writes an answer (the cell above a check is the hidden solution).
WRITE_IT = "write it in a new cell under the exercise (press B), run it, then run this check"
#: The line added to a verdict about the hidden solution's answer rather than the learner's.
SOLUTION_NOTE = (
    "ℹ This checked the hidden solution's `{name}`, which replaces any answer of yours that ran "
    "before it: to check your own, run your cell again, then this check."
)


def _bound_names(source):
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


def _judged_the_solution(name):
    """True when, in IPython, the last cell run that defined `name` is a hidden solution cell."""
    for cell in reversed(_cells_run()):
        if name in cell and name in _bound_names(cell):
            return cell.lstrip().startswith(SOLUTION_MARKER)
    return False


def judges(name):
    """Decorate a check of the answer `name`: note when it judged the hidden solution's answer."""

    def decorate(check):
        @functools.wraps(check)
        def checked(*args, **kwargs):
            verdict = check(*args, **kwargs)
            if _judged_the_solution(name):
                verdict.notes.append(SOLUTION_NOTE.format(name=name))
            return verdict

        return checked

    return decorate


# --- 00: a secret key --------------------------------------------------------------------------

#: Keys that people type, and attackers try first.
PLACEHOLDER_KEYS = {"secret", "changeme", "dev", "password", "super-secret-key", "secret_key"}


#: Hex digests of those words: a key derived from a guessable word is as guessable as the word.
HASHED_PLACEHOLDERS = {
    getattr(hashlib, name)(word.encode()).hexdigest()
    for word in PLACEHOLDER_KEYS
    for name in ("md5", "sha1", "sha256", "sha512")
}


def _repeats_a_pattern(key):
    """True when the key is a shorter string repeated, or mostly a run like 'abcd…' or '1234…'."""
    for size in range(1, len(key) // 2 + 1):
        if len(key) % size == 0 and key[:size] * (len(key) // size) == key:
            return True
    steps = [ord(b) - ord(a) for a, b in zip(key, key[1:], strict=False)]
    return sum(step in (0, 1, -1) for step in steps) > len(steps) // 2


@judges("my_key")
def check_secret_key(key):
    """Notebook 00: a secret key is a long random string, not a word someone could guess."""
    title = "A good secret key"
    missing = not_written(
        title,
        "my_key",
        key,
        "a string (call secrets.token_hex(32))",
        lambda k: isinstance(k, (str, bytes)),
    )
    if missing is not None:
        return missing
    verdict = Verdict(title)
    text = key.decode("latin-1") if isinstance(key, bytes) else key
    unit = "bytes" if isinstance(key, bytes) else "characters"
    verdict.ok("it is a string" if isinstance(key, str) else "it is random bytes")
    verdict.expect(
        len(text) >= 32,
        f"it is {len(text)} {unit} long (32 or more)",
        f"it is only {len(text)} {unit} long: use at least 32 (secrets.token_hex(32) gives 64)",
    )
    verdict.expect(
        len(set(text)) >= 10 and not _repeats_a_pattern(text),
        "it mixes many different characters",
        "it repeats the same few characters or a pattern: let the secrets module choose them",
    )
    verdict.expect(
        text.strip().lower() not in PLACEHOLDER_KEYS
        and not (isinstance(key, str) and re.search(r"\s", key)),
        "it is not a well-known placeholder",
        "it is a placeholder or a phrase that people type and attackers try first: "
        "use secrets.token_hex(32)",
    )
    if text.lower() in HASHED_PLACEHOLDERS:
        verdict.fail(
            "it is the hash of a well-known word, which anyone can compute: hashing adds no "
            "secrecy, use secrets.token_hex(32)"
        )
    if _in_typed_code(text):
        verdict.fail(
            "it is written out in your code, so everyone who reads the notebook knows it: "
            "make it with secrets.token_hex(32) instead of typing or pasting it"
        )
    return verdict


# --- 01: remember a name -----------------------------------------------------------------------


def _cookie(response, name):
    """The value of the cookie `name` that the response sets (unquoted), or None."""
    for header in response.headers.getlist("Set-Cookie"):
        pair = header.split(";", 1)[0]
        key, sep, _ = pair.partition("=")
        if sep and key.strip() == name:
            return parse_cookie(pair).get(name, "")
    return None


@judges("name_site")
def check_remembers_name(app):
    """Notebook 01: GET /hello?name=Ada sets a cookie; later visits from the same client say Ada."""
    title = "Remember the visitor's name"
    return check_app(title, "name_site", app, _remembers_name)


#: What a greeting shows when a missing name was formatted into it.
NO_NAME = re.compile(r"\bNone\b|\bnull\b|\{name\}|,\s*!")
#: A name that is HTML: a page that greets it unescaped runs whatever a visitor sends.
HTML_NAME = "<b>Bo</b>"


def _remembers_name(verdict, app):
    client = app.test_client()
    first = client.get("/hello?name=Ada")
    if not verdict.expect(
        first.status_code == 200 and "Ada" in _text(first),
        "/hello?name=Ada greets Ada",
        f"/hello?name=Ada answered {first.status_code} {_text(first)!r}: it should greet Ada",
    ):
        return
    value = _cookie(first, "name")
    verdict.expect(
        value == "Ada",
        "the reply sets a cookie called name",
        "the reply sets no cookie called name: call response.set_cookie('name', name)"
        if value is None
        else f"the reply sets the cookie name={value!r}: store the name from ?name= in it",
    )
    again = client.get("/hello")
    verdict.expect(
        "Ada" in _text(again),
        "a second visit without ?name= still greets Ada (the cookie came back)",
        f"a second visit answered {_text(again)!r}: read request.cookies.get('name')",
    )
    renamed = _text(client.get("/hello?name=Grace"))
    later = _text(client.get("/hello"))
    verdict.expect(
        "Grace" in renamed and "Ada" not in renamed and "Grace" in later,
        "/hello?name=Grace then greets Grace, and so does the next visit (a new name wins)",
        f"after Ada, /hello?name=Grace answered {renamed!r} and the next visit {later!r}: "
        "read ?name= first and the cookie only when there is none, and set the cookie again",
    )
    stranger = app.test_client().get("/hello")
    greeting = _text(stranger)
    verdict.expect(
        stranger.status_code == 200 and "Ada" not in greeting and "Grace" not in greeting,
        "a new client with no cookie is not called Ada",
        "a new client got HTTP 400 Bad Request: request.cookies['name'] fails when there is no "
        "cookie; read it with request.cookies.get('name')"
        if stranger.status_code == 400
        else f"a new client got {stranger.status_code} {greeting!r}: greet someone with no "
        "cookie and no ?name= as a stranger",
    )
    stranger_cookie = _cookie(stranger, "name")
    verdict.expect(
        not NO_NAME.search(greeting) and not stranger_cookie,
        "it is greeted as a stranger, not as None, and gets no name cookie",
        f"a new client got {greeting!r} and the cookie name={stranger_cookie!r}: when there "
        "is no name, greet a stranger and set no cookie (never format or store None)",
    )
    visitor = app.test_client()
    pages = [visitor.get("/hello", query_string={"name": HTML_NAME}), visitor.get("/hello")]
    unescaped = [
        _text(page) for page in pages if HTML_NAME in _text(page) and page.mimetype != "text/plain"
    ]
    shown = unescaped[0] if unescaped else ""
    verdict.expect(
        not unescaped,
        f"a name with HTML in it ({HTML_NAME}) is shown as text, not run as HTML",
        f"?name={HTML_NAME} went into the page as HTML ({shown!r}): a visitor can write "
        "anything in ?name= and in the cookie, so greet markupsafe.escape(name)",
    )


# --- 02: shout back ----------------------------------------------------------------------------

SENDER, TWILIO_NUMBER = "+14155550100", "+14155550199"
#: A picture, as a picture-only MMS carries it.
PICTURE = "https://example.com/cookie.jpg"


def _conversation(app, path="/sms", from_=SENDER, to=TWILIO_NUMBER):
    """A simulated conversation with a learner's webhook, and its simulator (for the clock)."""
    sim = TwilioSimulator(app, webhook_url=f"https://example.ngrok.app{path}", clock=FakeClock())
    return sim, sim.conversation(from_=from_, to=to)


#: The text a phone would receive, or the Twilio error with what happened.
_reply = outcome


@judges("shout")
def check_shout_webhook(app):
    """Notebook 02: POST /sms replies with the text in capitals, or asks for words when it is empty."""
    title = "Shout back"
    return check_app(title, "shout", app, _shouts)


#: (message, the reply it should get, the hint when it does not).
SHOUTS = [
    ("hello", "HELLO", "reply with the message's Body in capitals: body.upper()"),
    ("Cookies are great!", "COOKIES ARE GREAT!", "reply with the message's Body in capitals"),
    ("ça va? 3 amis", "ÇA VA? 3 AMIS", "reply with whatever was sent, in capitals"),
    (
        "fish & chips <3",
        "FISH & CHIPS <3",
        "build the reply with MessagingResponse, which escapes & and < in the XML",
    ),
]


def _shouts(verdict, app):
    sim, conv = _conversation(app)
    for body, expected, hint in SHOUTS:
        got = _reply(conv.send(body))
        verdict.expect(
            got == expected,
            f"{body!r} gets {expected!r}",
            f"{body!r} got {got!r}, not {expected!r}: {hint}",
        )
    got = _reply(conv.send(""))
    verdict.expect(
        got == "Send me some words!",
        "an empty message gets 'Send me some words!'",
        f"an empty message got {got!r}: check for an empty Body first",
    )
    got = _reply(conv.send("", media=PICTURE))
    verdict.expect(
        got == "Send me some words!",
        "a picture with no text gets 'Send me some words!' too",
        f"a picture with no text got {got!r}: read the Body with request.form.get('Body', '') "
        "and check it is empty",
    )


# --- 03: a reset word and a one-hour conversation ----------------------------------------------

OTHER_SENDER = "+14155550101"


def _counter_script(conv):
    """Send three messages and return the replies."""
    return [_reply(conv.send(text)) for text in ("one", "two", "three")]


def _is_first(reply):
    """True for the counter's reply to a first message."""
    return reply.startswith("Hello") and "thanks" in reply


def _says_reset(reply):
    """True for a reply that says the count is reset (and is not a count or an error)."""
    return "reset" in reply.lower() and "times" not in reply and not reply.startswith("error")


@judges("reset_app")
def check_reset_command(app):
    """Notebook 03: "reset" clears the count, so the next message is thanked as the first."""
    title = "The reset command"
    return check_app(title, "reset_app", app, _resets)


def _resets(verdict, app):
    sim, conv = _conversation(app)
    other = sim.conversation(from_=OTHER_SENDER, to=TWILIO_NUMBER)
    other.send("hi from Finn")
    replies = _counter_script(conv)
    if not verdict.expect(
        "3 times" in replies[-1],
        "it still counts: the third message says 3 times",
        f"the third message got {replies[-1]!r}: keep the counter working (one count per "
        "pair, in the session)",
    ):
        return
    got = _reply(conv.send("reset"))
    verdict.expect(
        _says_reset(got),
        "'reset' gets a reply that says the count is reset",
        f"'reset' got {got!r}: reply with a sentence that says the count is reset",
    )
    got = _reply(conv.send("hello again"))
    verdict.expect(
        _is_first(got),
        "the next message is thanked like a first message",
        f"the next message got {got!r}: remove the counter from the session on reset",
    )
    got = _reply(conv.send("reset it, please"))
    verdict.expect(
        "times" in got and not _says_reset(got),
        "a message that only contains the word ('reset it, please') is counted, not a reset",
        f"'reset it, please' got {got!r}: reset only when the whole message is the word "
        "(compare with ==, not `in` or startswith)",
    )
    got = _reply(conv.send("RESET  "))
    verdict.expect(
        _says_reset(got),
        "'RESET  ' works too (case and spaces do not matter)",
        f"'RESET  ' got {got!r}: compare Body.strip().lower()",
    )
    got = _reply(conv.send(" Reset"))
    verdict.expect(
        _says_reset(got),
        "' Reset' with no count left to clear gets the same reply",
        f"' Reset' with nothing to clear got {got!r}: "
        + (
            "use session.pop('counter', None), which does not fail when the counter is already gone"
            if got.startswith("error")
            else "compare Body.strip().lower() with 'reset'"
        ),
    )
    got = _reply(other.send("me again"))
    verdict.expect(
        "2 times" in got,
        "another pair's count is not touched by the reset (2 times)",
        f"another pair's next message got {got!r}: keep the count in that pair's session",
    )


@judges("hour_app")
def check_one_hour_session(app):
    """Notebook 03: the conversation survives 59 minutes of silence but not 61."""
    title = "A one-hour conversation"
    return check_app(title, "hour_app", app, _one_hour)


def _one_hour(verdict, app):
    sim, conv = _conversation(app)
    replies = _counter_script(conv)
    if not verdict.expect(
        "3 times" in replies[-1],
        "it still counts: the third message says 3 times",
        f"the third message got {replies[-1]!r}: keep the counter working",
    ):
        return
    sim.clock.advance(minutes=59)
    got = _reply(conv.send("still here"))
    verdict.expect(
        "4 times" in got,
        "after 59 minutes of silence the count goes on (4 times)",
        f"after 59 minutes the reply was {got!r}: the cookie should still be alive",
    )
    sim.clock.advance(minutes=59)
    got = _reply(conv.send("and again"))
    verdict.expect(
        "5 times" in got,
        "59 more minutes later it still counts (5 times): each message starts a new hour",
        f"59 minutes after the last message (118 after the first) the reply was {got!r}: the "
        "hour counts from the last message; let Flask set the cookie's lifetime",
    )
    sim.clock.advance(minutes=61)
    got = _reply(conv.send("back"))
    verdict.expect(
        _is_first(got),
        "after 61 minutes of silence the conversation starts over",
        f"after 61 minutes the reply was {got!r}: set PERMANENT_SESSION_LIFETIME to one hour "
        "and session.permanent = True",
    )


# --- 05: break it on purpose, and a script just under four hours -------------------------------


def _reference_counter():
    """companion_app's counter, set up for the verify module's standard script."""
    return create_app(
        {
            "SECRET_KEY": "reference-key",
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "PUBLIC_URL": "https://example.ngrok.app",
        }
    )


#: The standard script's forged request (step 14): the reference refuses it, a plain counter not.
FORGED_STEP = 14


@judges("broken_app")
def check_comparison_catches(broken_app):
    """Notebook 05: the broken app still answers, and comparing it with the reference catches it."""
    title = "Break it on purpose"
    return check_app(title, "broken_app", broken_app, _caught)


def _caught(verdict, app):
    result = compare(app, _reference_counter())
    silent = [
        n
        for n, (step, text) in enumerate(zip(result.script, result.left, strict=True), 1)
        if step.action == "send" and (text.startswith("error") or text == "(no reply)")
    ]
    verdict.expect(
        not silent,
        "your broken app still answers every genuine message (a quiet bug, the hardest kind)",
        f"your app fails outright or stays silent at step {', '.join(map(str, silent))}: break "
        "the logic, not the app (every message should still get a reply)",
    )
    verdict.expect(
        any(n != FORGED_STEP for n in result.differences),
        f"the comparison catches it: {result.summary()}",
        "the comparison found no difference besides the forgery: your change did not alter what "
        "the script checks. Try another bug, e.g. forget to store the count",
    )


#: The silence the exercise asks for: just under Twilio's four hours.
EDGE_HOURS = (3.9, 4)


_NO_WAIT = (
    "it has no wait(...) step: put one between the pair's second and third messages "
    "(wait takes hours)"
)


def _wait_hint(hours):
    """What a wait(hours) the learner wrote means, and why it is not just under 4 hours."""
    whole, minutes = divmod(round(hours * 60), 60)
    lasts = f"wait({hours:g}) is {hours:g} hours ({whole} h {minutes} min)"
    if hours >= 24:
        return f"{lasts}: wait counts hours, not minutes or seconds"
    if hours >= EDGE_HOURS[1]:
        return (
            f"{lasts}, when Twilio has already dropped the cookie: wait a little less than 4 hours"
        )
    tenths, hundredths = hours * 10, hours * 100
    two_decimals = abs(hundredths - round(hundredths)) < 1e-6 and abs(tenths - round(tenths)) > 1e-6
    if 3 < hours < 3.6 and two_decimals:  # 3.59 meant as 3 h 59 min
        return (
            f"{lasts}: the digits after the point are a fraction of an hour, not minutes; "
            "write the minutes as a fraction of an hour"
        )
    return f"{lasts}: not just under 4 hours (the exercise asks for 3 hours 59 minutes)"


@judges("edge_script")
def check_edge_script(script):
    """Notebook 05: a pair texts twice, is silent just under 4 hours, texts again, and counts on."""
    title = "Just under four hours"
    missing = not_written(
        title,
        "edge_script",
        script,
        "a list of steps made with send(...) and wait(...)",
        lambda s: isinstance(s, (list, tuple)),
    )
    if missing is not None:
        return missing
    script = list(script)
    verdict = Verdict(title)
    if not verdict.expect(
        bool(script) and all(isinstance(s, Step) for s in script),
        "the script is a list of steps",
        "the script should be a list made with send(...) and wait(...)",
    ):
        return verdict
    waits = [s.hours for s in script if s.action == "wait"]
    edge = [
        n
        for n, step in enumerate(script)
        if step.action == "wait" and EDGE_HOURS[0] <= step.hours < EDGE_HOURS[1]
    ]
    if not verdict.expect(
        bool(edge),
        "it waits just under 4 hours (3.9 to 4) somewhere",
        "it never waits between 3.9 and 4 hours: "
        + ("; ".join(_wait_hint(hours) for hours in waits) if waits else _NO_WAIT),
    ):
        return verdict
    where = edge[0]
    after = script[where + 1] if where + 1 < len(script) else None
    if not verdict.expect(
        after is not None and after.action == "send",
        "a message comes right after the wait",
        "nothing is sent right after the wait: send the pair's next message as the step after "
        "wait(...)",
    ):
        return verdict
    pair = (after.from_, after.to)
    before = [s for s in script[:where] if s.action == "send" and (s.from_, s.to) == pair]
    if not verdict.expect(
        len(before) >= 2,
        f"{after.from_} texts {after.to} {len(before)} times before the wait",
        f"{after.from_} texts {after.to} only {len(before)} time(s) before the wait: the "
        "exercise has the same pair text twice, then the wait, then the third message",
    ):
        return verdict
    outcomes = run_script(_reference_counter(), script)
    got = outcomes[where + 1]
    verdict.expect(
        f"{len(before) + 1} times" in got,
        f"the message after the wait still counts on: {got!r}",
        f"the message after the wait got {got!r}: keep the pair's messages together and the "
        "silence under 4 hours, with no other long wait in between",
    )
    return verdict


# --- 04: behind the tunnel, and a signature computed like Twilio's -----------------------------

#: The public base URL of notebook 04's stand-in tunnel.
TUNNEL_URL = "https://example.ngrok.app"


@judges("behind_tunnel")
def check_accepts_twilio_behind_tunnel(app):
    """Notebook 04: behind a tunnel, what Twilio signed for the public URL is answered; forgeries get 403."""
    title = "Accept Twilio behind the tunnel"
    return check_app(title, "behind_tunnel", app, _behind_tunnel)


def _through_tunnel(app, auth_token):
    """A conversation reaching app as through ngrok: signed for TUNNEL_URL, with X-Forwarded-* headers."""
    sim = TwilioSimulator(
        app,
        webhook_url=f"{TUNNEL_URL}/sms",
        auth_token=auth_token,
        clock=FakeClock(),
        tunnel_headers=True,
    )
    return sim.conversation(from_=SENDER, to=TWILIO_NUMBER)


def _replayed(app, sent, **changes):
    """Status of sent posted again through the tunnel with some params or headers changed."""
    params = {**sent.params, **changes.get("params", {})}
    headers = {
        k: v
        for k, v in sent.headers.items()
        if k not in ("Content-Type", "Cookie", *changes.get("drop", ()))
    }
    response = app.test_client().post("/sms", data=params, headers=headers)
    return response.status_code


def _behind_proxy_fix(app):
    """True when werkzeug's ProxyFix is among the WSGI layers around the app."""
    layer, seen = app.wsgi_app, 0
    while layer is not None and seen < 20:
        if isinstance(layer, ProxyFix):
            return True
        layer, seen = getattr(layer, "app", None), seen + 1
    return False


def _tunnel_hint(app, public_url):
    """Why a message Twilio signed for the tunnel's URL was refused, from the app's settings."""
    if public_url:
        return (
            f"PUBLIC_URL is {public_url!r}: set PUBLIC_URL to {TUNNEL_URL}, the base URL "
            "Twilio calls (the app adds /sms)"
        )
    if app.config.get("TRUST_PROXY_HEADERS") and not _behind_proxy_fix(app):
        return (
            "TRUST_PROXY_HEADERS was set after the app was made, and it does nothing then: "
            "create_app wraps the app in ProxyFix only when the setting is given to it, so build "
            'the app with create_app({..., "TRUST_PROXY_HEADERS": True})'
        )
    return (
        "the app checks the signature against the URL it sees (its local http address), not the "
        "public https URL Twilio signed: tell the app which URL Twilio calls"
    )


def _behind_tunnel(verdict, app):
    token = app.config.get("TWILIO_AUTH_TOKEN")
    if not verdict.expect(
        bool(token),
        "signatures are still checked (TWILIO_AUTH_TOKEN is set)",
        "TWILIO_AUTH_TOKEN is not set, so anyone can post to this webhook: keep the check on and "
        "fix which URL it checks",
    ):
        return
    with quiet_logs():
        genuine = _through_tunnel(app, token)
        first, second = _reply(genuine.send("hi")), _reply(genuine.send("again"))
        forged = _reply(_through_tunnel(app, token + "-forged").send("hi"))
        sent = genuine.deliveries[0].request
        unsigned = _replayed(app, sent, drop=("X-Twilio-Signature",))
        altered = _replayed(app, sent, params={"Body": "send me the code"})
    public_url = str(app.config.get("PUBLIC_URL") or "")
    if not verdict.expect(
        first.startswith("Hello"),
        f"a message Twilio signed for {TUNNEL_URL}/sms is answered",
        f"a message Twilio signed for {TUNNEL_URL}/sms got {first!r}: "
        + _tunnel_hint(app, public_url),
    ):
        return
    verdict.expect(
        "2 times" in second,
        "the next one counts on (2 times)",
        f"the next message got {second!r}: keep the counter as it was",
    )
    verdict.expect(
        forged.startswith("error 11200"),
        "a request signed with the wrong token is still refused",
        f"a request signed with the wrong token got {forged!r}: keep the signature check on",
    )
    verdict.expect(
        400 <= unsigned < 500 and 400 <= altered < 500,
        "a request with no signature, or with a changed Body, is refused too",
        f"a request with no signature got HTTP {unsigned} and one whose Body was changed got "
        f"HTTP {altered}: refuse (403) every request whose signature is missing or does not "
        "match the URL and all the form parameters",
    )


@judges("my_signature")
def check_same_signature(signature, delivery):
    """Notebook 04: the learner computed the X-Twilio-Signature the simulator sent with a delivery."""
    title = "Sign like Twilio"
    missing = not_written(
        title,
        "my_signature",
        signature,
        "a string: RequestValidator(token).compute_signature(url, params)",
        lambda s: isinstance(s, str) and bool(s),
    )
    if missing is not None:
        if isinstance(signature, bool):
            missing.fail(
                "validate(...) only says whether a signature is right; "
                "compute_signature(url, params) makes one"
            )
        return missing
    verdict = Verdict(title)
    sent = getattr(delivery, "request", None)
    if sent is None:
        verdict.fail(
            f"the second argument is {_kind_of(delivery)}: pass the delivery whose signature you "
            "computed, e.g. rey.deliveries[0]"
        )
        return verdict
    verdict.ok("it is a string")
    header = sent.headers.get("X-Twilio-Signature")
    if signature is header or _in_typed_code(signature):
        verdict.fail(
            "it is the header copied from the request, not computed: sign the URL and the form "
            "yourself with RequestValidator(auth_token).compute_signature(url, params)"
        )
        return verdict
    verdict.expect(
        signature == header,
        "it is the X-Twilio-Signature Twilio sent",
        f"it is not the X-Twilio-Signature Twilio sent: sign the public URL Twilio called "
        f"({sent.url}) and every form parameter it posted, with the auth token",
    )
    return verdict


# --- 07: a day-long conversation on the server -------------------------------------------------

STORE_SENDER, STORE_OTHER_NUMBER = "+14155557000", "+14155550198"
STORE_OTHER_SENDER = "+14155557001"
STORE_WEBHOOK_URL = "https://example.ngrok.app/sms"


def _call_name(make_app):
    """How the learner's function reads in a hint: its own name, or the exercise's for a lambda."""
    name = getattr(make_app, "__name__", "")
    return name if name.isidentifier() else "make_day_app"


def _made(title, make_app, clock):
    """(app, None) from make_app(clock), or (None, a failed Verdict saying what went wrong)."""
    call = f"{_call_name(make_app)}(clock)"
    try:
        app = make_app(clock)
    except Exception as error:  # the learner's bug, reported in words
        verdict = Verdict(title)
        verdict.fail(f"{call} raised {type(error).__name__}: {error}")
        return None, verdict
    if not _is_app(app):
        verdict = Verdict(title)
        verdict.fail(f"{call} returned {_kind_of(app)}: return the Flask app")
        return None, verdict
    return app, None


@judges("make_day_app")
def check_day_long_store(make_app):
    """Notebook 07: make_day_app(clock) keeps each pair's count on the server for 24 hours of silence."""
    title = "A day-long conversation on the server"
    missing = not_written(
        title,
        "make_day_app",
        make_app,
        "a function make_day_app(clock) that returns a new app",
        lambda answer: callable(answer) and not _is_app(answer),
    )
    if missing is not None:
        return missing
    clock = FakeClock()
    app, failed = _made(title, make_app, clock)
    if failed is not None:
        return failed
    call = f"{_call_name(make_app)}(clock)"
    verdict = run_check(title, app, lambda verdict, app: _day_long(verdict, app, clock, call))
    if verdict:
        second, failed = _made(title, make_app, FakeClock())
        if failed is not None:
            return failed
        with raising(second):
            sim = TwilioSimulator(
                second, webhook_url=STORE_WEBHOOK_URL, auth_token=AUTH_TOKEN, clock=FakeClock()
            )
            got = _reply(sim.conversation(from_=STORE_SENDER, to=TWILIO_NUMBER).send("new app"))
        verdict.expect(
            got.startswith("Hello"),
            f"a second app from {call} starts with an empty store of its own",
            f"a second app from {call} answered {got!r}: create the store inside "
            f"{_call_name(make_app)}, so each app gets a new one",
        )
    return verdict


def _day_long(verdict, app, clock, call):
    sim = TwilioSimulator(app, webhook_url=STORE_WEBHOOK_URL, auth_token=AUTH_TOKEN, clock=clock)
    conv = sim.conversation(from_=STORE_SENDER, to=TWILIO_NUMBER)
    replies = [_reply(conv.send(text)) for text in ("one", "two", "three")]
    if not verdict.expect(
        "3 times" in replies[-1],
        "it counts: the third message says 3 times",
        f"the third message got {replies[-1]!r}: count each pair's messages (a new app and store "
        f"for every call of {call})",
    ):
        return
    clock.advance(hours=5)
    got = _reply(conv.send("five hours later"))
    verdict.expect(
        "4 times" in got,
        "after 5 hours of silence the count goes on (4 times): it lives on the server",
        f"after 5 hours the reply was {got!r}: Twilio dropped the cookie, so keep the count in the "
        "store, keyed by (From, To)",
    )
    both = [_reply(delivery) for delivery in conv.send_together(["at", "once"])]
    verdict.expect(
        any("5 times" in reply for reply in both) and any("6 times" in reply for reply in both),
        "two messages delivered at once are both counted (5 and 6 times): no lost update",
        f"two messages at once got {both}: read, add one and write back in one step on the server",
    )
    got = _reply(sim.conversation(from_=STORE_SENDER, to=STORE_OTHER_NUMBER).send("hi"))
    other_phone = _reply(sim.conversation(from_=STORE_OTHER_SENDER, to=TWILIO_NUMBER).send("hi"))
    verdict.expect(
        got.startswith("Hello") and other_phone.startswith("Hello"),
        "the same phone texting another of your numbers starts its own count, and so does "
        "another phone texting this number",
        f"the same phone texting another number got {got!r} and another phone texting this "
        f"number got {other_phone!r}: key the store by both From and To",
    )
    clock.advance(hours=23, minutes=59)
    got = _reply(conv.send("almost a day"))
    counted = re.search(r"(\d+) times", got)
    verdict.expect(
        counted is not None,
        f"23 h 59 min after the last message it still counts ({counted and counted.group(1)} "
        "times)",
        f"23 h 59 min later the reply was {got!r}: keep a conversation for 24 hours after its "
        "last message",
    )
    clock.advance(hours=24, minutes=1)
    got = _reply(conv.send("a day and a bit"))
    verdict.expect(
        got.startswith("Hello"),
        "24 h 1 min after the last message the conversation starts over",
        f"24 h 1 min later the reply was {got!r}: forget a pair 24 hours after its last message "
        "(each message renews the expiry), using the clock you were given",
    )


# --- 06: a staff directory with HELP and MORE --------------------------------------------------

#: The most characters a directory session cookie needs when it keeps ids, not records.
DIRECTORY_COOKIE_BUDGET = 200


def _lists_sams(verdict, conv):
    """Send 'sam' and expect the numbered list of five; False (with a hint) when it is missing."""
    got = _reply(conv.send("sam"))
    return verdict.expect(
        "1. Sam Okafor" in got and "5. Jordan Samuels" in got,
        "'sam' still lists the matches (1. Sam Okafor … 5. Jordan Samuels)",
        f"'sam' got {got!r}: keep the directory working (build on respond from this notebook)",
    )


def _explains(reply):
    """True for a reply that explains how to search (not a failed search, not an error)."""
    return not reply.startswith(("No one", "error")) and "name" in reply.lower()


@judges("help_app")
def check_directory_help(app):
    """Notebook 06: HELP explains the directory in any state and keeps a pending list."""
    title = "A HELP word that keeps the list"
    return check_app(title, "help_app", app, _directory_help)


def _directory_help(verdict, app):
    sim, conv = _conversation(app, "/directory")
    if not _lists_sams(verdict, conv):
        return
    got = _reply(conv.send("HELP"))
    if not verdict.expect(
        _explains(got),
        "'HELP' gets a reply that explains how to search (it mentions a name)",
        f"'HELP' got {got!r}: before searching, compare the message (lower case, spaces "
        "stripped) with 'help' and reply with how to use the directory",
    ):
        return
    got = _reply(conv.send("2"))
    verdict.expect(
        got.startswith("Samantha Reyes"),
        "'2' after HELP still picks Samantha Reyes: the list survived",
        f"'2' after HELP got {got!r}: return the state you were given together with the help "
        "text, so the pending list stays in the cookie",
    )
    got = _reply(conv.send("  Help "))
    verdict.expect(
        _explains(got),
        "'  Help ' with no list pending gets the help too (case and spaces do not matter)",
        f"'  Help ' with no list pending got {got!r}: "
        + (
            "the state is empty (or None) then; answer the help without reading anything from it"
            if got.startswith("error")
            else "compare ' '.join(text.lower().split()) with 'help'"
        ),
    )
    first = _reply(sim.conversation(from_=OTHER_SENDER, to=TWILIO_NUMBER).send("help"))
    verdict.expect(
        _explains(first),
        "'help' as someone's very first message (no cookie at all) gets the help",
        f"'help' as a first message got {first!r}: the state is empty (or None) then; answer "
        "the help without reading anything from it",
    )


@judges("more_app")
def check_directory_more(app):
    """Notebook 06: MORE shows the matches after the first list, and a number picks from them."""
    title = "The rest of the list"
    return check_app(title, "more_app", app, _directory_more)


#: Ids kept in a string: "6", "1,2,3" or "1 2 3".
ID_RUN = re.compile(r"\d+(?:[,; ]+\d+)*")


def _kept_ids(app, cookie):
    """The ids in the app's session cookie (in lists, or a string of them); None if unreadable."""
    interface = getattr(app, "session_interface", None)
    serializer = getattr(interface, "get_signing_serializer", lambda app: None)(app)
    if serializer is None or not cookie:
        return None
    try:
        state = serializer.loads(cookie)
    except Exception:  # not a Flask session cookie: the size budget still applies
        return None
    kept, todo = set(), [state]
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            todo.extend(value.values())
        elif isinstance(value, (list, tuple)):
            kept.update(v for v in value if isinstance(v, int) and not isinstance(v, bool))
            todo.extend(v for v in value if not isinstance(v, int))
        elif isinstance(value, str) and ID_RUN.fullmatch(value):
            kept.update(int(n) for n in re.findall(r"\d+", value))
    return kept


def _directory_more(verdict, app):
    sim, conv = _conversation(app, "/directory")
    sizes = []

    def measured(text):
        """Send text and note how big the session cookie is afterwards."""
        reply = _reply(conv.send(text))
        sizes.append((len(conv.cookies.get("session") or ""), text))
        return reply

    got = measured("sam")
    if not verdict.expect(
        "1. Sam Okafor" in got and "5. Jordan Samuels" in got,
        "'sam' still lists the matches (1. Sam Okafor … 5. Jordan Samuels)",
        f"'sam' got {got!r}: keep the directory working (build on respond from this notebook)",
    ):
        return
    unlisted = [m for m in find_staff("sam", DEFAULT_STAFF) if m.name not in got]
    kept = _kept_ids(app, conv.cookies.get("session")) or set()
    stored = [m.name for m in unlisted if m.id in kept]
    verdict.expect(
        not stored,
        "after 'sam' the cookie keeps the ids of the list it sent, not of matches still to come",
        f"after 'sam' the cookie already keeps the id of {', '.join(stored)}, who was not listed: "
        "storing the id of every match makes the cookie grow with the company (a search that "
        "matches 300 people would store 300); keep the search and a page (how far you got), "
        "not the ids",
    )
    got = measured("more")
    found = re.search(r"(\d+)\.\s*Samuel Adeyemi", got)
    if not verdict.expect(
        found is not None and "Sam Okafor" not in got,
        "'more' lists the next match (Samuel Adeyemi) with a number",
        f"'more' got {got!r}: when a list is pending, keep in the state what the next page "
        "needs (the search and how far you got) and list the next matches, numbered",
    ):
        return
    pick = found.group(1)
    got = measured(pick)
    size, after = max(sizes)
    verdict.expect(
        size <= DIRECTORY_COOKIE_BUDGET,
        f"the cookie stays small ({size} characters): it keeps a search and ids, not records",
        f"the cookie is {size} characters after {after!r}: keep ids and the search in it, not "
        f"whole records (at most {DIRECTORY_COOKIE_BUDGET} characters, after every message)",
    )
    verdict.expect(
        got.startswith("Samuel Adeyemi"),
        f"'{pick}' then picks Samuel Adeyemi from the second list",
        f"'{pick}' got {got!r}: store the ids of the list you just sent, so the "
        "numbers refer to it",
    )
    fresh = sim.conversation(from_=SENDER, to="+14155550188")
    got = _reply(fresh.send("more"))
    verdict.expect(
        not got.startswith("error"),
        f"'more' with no list pending gets a polite reply ({got!r})",
        f"'more' with no list pending got {got!r}: answer it even when the state is empty",
    )


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


explain_missing_answers()
follow_cells()
