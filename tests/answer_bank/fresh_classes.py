"""Wrong answers of issue 19's classes, written after the new checks existed and not used to build
them: each must fail on the first try. Kept apart from the nbNN modules (which the checks were
built against) so the count stays honest; tests/checks/test_fresh.py runs them."""

from flask import Flask, make_response, request, session
from markupsafe import escape

from companion_app.teaching.verify import send, wait
from tests.answer_bank import twiml, wrong
from tests.answer_bank.nb01_remember_name import site
from tests.answer_bank.nb02_shout import webhook
from tests.answer_bank.nb03_counter import counter, reply, strip_lower
from tests.answer_bank.nb05_verify import NUMBER, REY, edge_with
from tests.answer_bank.nb06_directory import directory_webhook, with_help

NAME, SHOUT, RESET, HOUR = (
    "check_remembers_name",
    "check_shout_webhook",
    "check_reset_command",
    "check_one_hour_session",
)
EDGE, HELP = "check_edge_script", "check_directory_help"


def cookie(**attributes):
    """A /hello site whose name cookie carries these attributes."""
    return site(remember=lambda r, n: r.set_cookie("name", n, **attributes) if n else None)


def raw_cookie_header(header):
    """A /hello site that writes its Set-Cookie header by hand."""
    app = Flask("raw")

    @app.route("/hello")
    def hello():
        name = request.args.get("name") or request.cookies.get("name")
        response = make_response(f"Hello, {escape(name)}!" if name else "Hello, stranger!")
        if request.args.get("name"):
            response.headers["Set-Cookie"] = header.format(name=request.args["name"])
        return response

    return app


def greets_cookie_raw(name):
    """The cookie's name unescaped, in bold; the query's escaped."""
    if request.args.get("name"):
        return f"<p>Hello, {escape(name)}!</p>"
    return f"<p>Hello, <b>{name}</b>!</p>" if name else "<p>Hello, stranger!</p>"


def shouter(rule):
    """A shout webhook with a rule(form) -> reply text."""
    return webhook(lambda form: twiml(rule(form)))


def dict_counter(key, lifetime_messages=None):
    """Counts in a dict of the app's own; reset clears it."""
    counts = {}
    app = Flask("fresh_dict")
    app.config["SECRET_KEY"] = "f" * 32

    @app.route("/sms", methods=["POST"])
    def count():
        k = key(request.values)
        if strip_lower(request.values.get("Body", "")):
            counts.pop(k, None)
            return twiml("Your count is reset.")
        counts[k] = counts.get(k, 0) + 1
        return twiml(reply(counts[k]))

    return app


def session_and_global():
    """The session says whether we met; a global number says how many times."""
    total = {"n": 0}
    app = Flask("fresh_mixed")
    app.config["SECRET_KEY"] = "f" * 32

    @app.route("/sms", methods=["POST"])
    def count():
        if strip_lower(request.values.get("Body", "")):
            session.clear()
            total["n"] = 0
            return twiml("Your count is reset.")
        if not session.get("seen"):
            session["seen"] = True
            total["n"] = 1
        else:
            total["n"] += 1
        return twiml(reply(total["n"]))

    return app


def reset_to(value_after):
    """A reset that writes value_after(old) as the counter."""
    return counter(
        is_reset=strip_lower,
        clear=lambda: session.__setitem__("counter", value_after(session.get("counter", 0))),
    )


def reset_halves():
    """'reset' halves the count."""
    return reset_to(lambda old: old // 2)


def reset_then_skip():
    """After 'reset' the next message is thanked, then the count jumps back."""
    app = Flask("fresh_skip")
    app.config["SECRET_KEY"] = "f" * 32

    @app.route("/sms", methods=["POST"])
    def count():
        if strip_lower(request.values.get("Body", "")):
            session["saved"] = session.get("counter", 0)
            session["counter"] = 0
            return twiml("Your count is reset.")
        n = session.get("counter", 0) + 1
        session["counter"] = n
        if n == 2 and "saved" in session:
            session["counter"] = n = session.pop("saved") + 2
        return twiml(reply(n))

    return app


def per_number_counter():
    """Counts per Twilio number (To), not per pair."""
    return dict_counter(lambda v: v.get("To"))


def hour_by_message_count():
    """'An hour' as 60 messages, kept in the session."""
    return counter(config={}, before=None)


def hour_from_first_message():
    """The hour counts from the first message, not the last: an expiry stored once."""
    from datetime import datetime, timedelta, timezone

    app = Flask("fresh_first")
    app.config["SECRET_KEY"] = "f" * 32
    clock = {"now": datetime(2025, 1, 6, 9, tzinfo=timezone.utc)}

    @app.route("/sms", methods=["POST"])
    def count():
        n = session.get("counter", 0) + 1
        session["counter"] = n
        session.permanent = True
        return twiml(reply(n))

    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=2)
    del clock
    return app


def help_if(rule, usage=None):
    """A help word recognised by rule(text)."""
    kwargs = {"usage": usage} if usage else {}
    return directory_webhook(with_help(is_help=rule, **kwargs))


ANSWERS = [
    # 01: a cookie the jar keeps or sends differently from a test client
    wrong(NAME, "secure and httponly", lambda: (cookie(secure=True, httponly=True),), "Secure"),
    wrong(
        NAME, "secure with SameSite=None", lambda: (cookie(secure=True, samesite="None"),), "Secure"
    ),
    wrong(NAME, "expires=1 (1970)", lambda: (cookie(expires=1),), "expires at once"),
    wrong(NAME, "max_age=-60", lambda: (cookie(max_age=-60),), "expires at once"),
    wrong(NAME, "path=/hello/", lambda: (cookie(path="/hello/"),), "Path"),
    wrong(NAME, "path=/static", lambda: (cookie(path="/static"),), "Path"),
    wrong(
        NAME,
        "hand-written Set-Cookie with Secure",
        lambda: (raw_cookie_header("name={name}; Secure; Path=/"),),
        "Secure",
    ),
    wrong(
        NAME,
        "hand-written Expires in 1970",
        lambda: (raw_cookie_header("name={name}; Expires=Thu, 01 Jan 1970 00:00:00 GMT"),),
        "expires at once",
    ),
    wrong(
        NAME,
        "the cookie's name in bold, unescaped",
        lambda: (site(greet=greets_cookie_raw),),
        "escape",
    ),
    wrong(
        NAME,
        "escapes with html.escape only for ?name=",
        lambda: (
            site(
                read=lambda: (
                    request.args.get("name")
                    and str(escape(request.args["name"]))
                    or request.cookies.get("name")
                ),
                greet=lambda n: f"<h1>Hi {n}</h1>" if n else "<h1>Hi stranger</h1>",
                remember=lambda r, n: r.set_cookie("name", n) if n else None,
            ),
        ),
        "escape",
    ),
    # 02: a required path never exercised
    wrong(
        SHOUT,
        "a picture always asks for words",
        lambda: (
            shouter(
                lambda f: (
                    "Send me some words!"
                    if int(f.get("NumMedia", 0))
                    else (f.get("Body", "").upper() or "Send me some words!")
                )
            ),
        ),
        "not by NumMedia",
    ),
    wrong(
        SHOUT,
        "a picture's caption is thanked, not shouted",
        lambda: (
            shouter(
                lambda f: (
                    ("Thanks for the picture!" if f.get("Body") else "Send me some words!")
                    if f.get("MediaUrl0")
                    else (f.get("Body", "").upper() or "Send me some words!")
                )
            ),
        ),
        "not by NumMedia",
    ),
    wrong(
        SHOUT,
        "a picture's caption is shouted with the link",
        lambda: (
            shouter(
                lambda f: (
                    (f.get("Body", "") + " " + f.get("MediaUrl0", "")).strip().upper()
                    or "Send me some words!"
                )
            ),
        ),
        "not by NumMedia",
    ),
    wrong(
        SHOUT,
        "MessageSid starting MM asks for words",
        lambda: (
            shouter(
                lambda f: (
                    "Send me some words!"
                    if f.get("MessageSid", "").startswith("MM") or not f.get("Body")
                    else f["Body"].upper()
                )
            ),
        ),
        "not by NumMedia",
    ),
    # 03: state outside the session, a reset that does not reset
    wrong(RESET, "a dict keyed by To", lambda: (per_number_counter(),), "one count per pair"),
    wrong(
        RESET,
        "a dict keyed by From + To string",
        lambda: (dict_counter(lambda v: v.get("From", "") + v.get("To", "")),),
        "4 hours",
    ),
    wrong(
        RESET,
        "a dict keyed by From, lower-cased",
        lambda: (dict_counter(lambda v: v.get("From", "").lower()),),
        "is each pair's own",
    ),
    wrong(
        RESET,
        "the session says hello, a global counts",
        lambda: (session_and_global(),),
        "keep the count in that pair's session",
    ),
    wrong(
        RESET,
        "reset halves the count",
        lambda: (reset_halves(),),
        "remove the counter from the session",
    ),
    wrong(RESET, "reset sets the count to -1", lambda: (reset_to(lambda old: -1),), "reset"),
    wrong(RESET, "reset, then the old count comes back", lambda: (reset_then_skip(),), "clears it"),
    wrong(
        RESET,
        "reset recognised with rstrip only",
        lambda: (counter(is_reset=lambda b: b.rstrip().lower() == "reset"),),
        "Reset",
    ),
    wrong(
        RESET,
        "reset recognised with title case too",
        lambda: (
            counter(
                is_reset=lambda b: (
                    b.strip() in ("reset", "Reset", "RESET") or b.strip().lower() == "re set"
                )
            ),
        ),
        "reset",
    ),
    wrong(
        RESET,
        "reset by a word in the message",
        lambda: (counter(is_reset=lambda b: "reset" in b.lower().split()),),
        "reset",
    ),
    wrong(
        HOUR, "a dict keyed by From", lambda: (dict_counter(lambda v: v.get("From")),), "61 minutes"
    ),
    wrong(HOUR, "no lifetime at all", lambda: (hour_by_message_count(),), "61 minutes"),
    wrong(HOUR, "two hours", lambda: (hour_from_first_message(),), "61 minutes"),
    # 05: right shape, wrong meaning; every type gets a sentence
    wrong(EDGE, 'wait("3.98")', lambda: (edge_with(wait("3.98")),), "wait takes a number of hours"),
    wrong(EDGE, "wait(None)", lambda: (edge_with(wait(None)),), "wait takes a number of hours"),
    wrong(
        EDGE, "wait([3, 59])", lambda: (edge_with(wait([3, 59])),), "wait takes a number of hours"
    ),
    wrong(EDGE, "wait(True)", lambda: (edge_with(wait(True)),), "wait takes a number of hours"),
    wrong(EDGE, "wait(float('nan'))", lambda: (edge_with(wait(float("nan"))),), "wait"),
    wrong(EDGE, "wait(3) then wait(1)", lambda: (edge_with(wait(3), wait(1)),), "4 hours"),
    wrong(
        EDGE, "wait(3.59) then wait(0.4)", lambda: (edge_with(wait(3.59), wait(0.41)),), "4 hours"
    ),
    wrong(
        EDGE,
        "the Twilio number texts Rey, in order",
        lambda: (
            [send(NUMBER, REY, "a"), send(NUMBER, REY, "b"), wait(3.98), send(NUMBER, REY, "c")],
        ),
        "the phone first",
    ),
    wrong(
        EDGE,
        "first message swapped, the rest right",
        lambda: (
            [send(NUMBER, REY, "a"), send(REY, NUMBER, "b"), wait(3.98), send(REY, NUMBER, "c")],
        ),
        "the phone first",
    ),
    # 06: help recognised by `in`, or never for spaces
    wrong(
        HELP,
        "'help' in the words",
        lambda: (help_if(lambda t: "help" in t.lower().split()),),
        "got the help text",
    ),
    wrong(
        HELP,
        "'help' anywhere, casefolded",
        lambda: (help_if(lambda t: "help" in t.casefold()),),
        "got the help text",
    ),
    wrong(
        HELP,
        "starts with 'help' after strip",
        lambda: (help_if(lambda t: t.strip().lower().startswith("help")),),
        "got the help text",
    ),
    wrong(
        HELP,
        "'help' as a prefix of a word",
        lambda: (help_if(lambda t: t.lower().lstrip().startswith("help")),),
        "got the help text",
    ),
    wrong(
        HELP,
        "a regex search for help",
        lambda: (help_if(lambda t: __import__("re").search("help", t, 2) is not None),),
        "got the help text",
    ),
]
