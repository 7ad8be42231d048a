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
from tests.answer_bank.nb06_directory import directory_webhook, with_help, with_more

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


# --- Written after the checks of 06 Exercise 2, 07 and 04 Exercise 2 existed (a second round) ---

MORE, STORE = "check_directory_more", "check_day_long_store"


def paged(query_key, offset_of, keep_query_on_pick=False):
    """A MORE whose search and offset live where query_key/offset_of put them (a learner's own
    variations on the notebook's next_page): offset_of(state, old) -> the next offset."""
    from tests.answer_bank.nb06_directory import (
        CHOOSING,
        DEFAULT_STAFF,
        MAX_MATCHES,
        command,
        find_staff,
        pending,
        pick_number,
        respond,
    )

    def turn(state, text):
        if command(text) == "more":
            if not pending(state) or "query" not in state:
                return {}, "No list to continue."
            offset = offset_of(state, state["offset"])
            page = find_staff(state["query"], DEFAULT_STAFF)[offset : offset + MAX_MATCHES]
            if not page:
                return state, "That was everyone."
            lines = [f"{n}. {m.name}" for n, m in enumerate(page, start=1)]
            return {**state, "ids": [m.id for m in page], "offset": offset}, "\n".join(lines)
        new_state, reply = respond(state, text)
        if pending(new_state) and pick_number(text) is None:
            new_state = query_key(state, {**new_state}, text)
        elif keep_query_on_pick and isinstance(state, dict) and "query" in state:
            new_state = {**state, "step": CHOOSING, "ids": state["ids"]} if state.get("ids") else {}
        return new_state, reply

    return turn


def more_by_one(state, new_state, text):
    """The search kept; MORE moves one name on instead of a page."""
    return {**new_state, "query": text, "offset": 0}


def search_keeps_offset(state, new_state, text):
    """A new search stores its query but keeps the old offset."""
    old = state.get("offset", 0) if isinstance(state, dict) else 0
    return {**new_state, "query": text, "offset": old}


def shared_pages(key, expires_by_wall_clock=False):
    """The search and offset in a module-level dict keyed by key(request.values)."""
    import time

    from tests.answer_bank.nb06_directory import (
        DEFAULT_STAFF,
        MAX_MATCHES,
        command,
        find_staff,
        pending,
        pick_number,
        respond,
    )

    kept = {}

    def turn(state, text):
        where = key(request.values)
        if command(text) == "more":
            query, offset, when = kept.get(where, (None, 0, 0))
            if query is None or (expires_by_wall_clock and time.time() - when > 4 * 3600):
                return {}, "Text a name first."
            page = find_staff(query, DEFAULT_STAFF)[offset + 5 : offset + 5 + MAX_MATCHES]
            if not page:
                return state, "No one else."
            kept[where] = (query, offset + 5, time.time())
            lines = [f"{n}. {m.name}" for n, m in enumerate(page, 1)]
            return {"step": "choose", "ids": [m.id for m in page]}, "\n".join(lines)
        new_state, reply = respond(state, text)
        if pending(new_state) and pick_number(text) is None:
            kept[where] = (text, 0, time.time())
        return new_state, reply

    return turn


def wraps_around(state):
    """MORE after the last page starts again at the first."""
    from tests.answer_bank.nb06_directory import next_page

    new_state, reply = next_page(state)
    if reply.startswith("That was the whole list"):
        return next_page({**state, "offset": -5})
    return new_state, reply


def more_after_a_pick(state, text):
    """A pick clears the list but the search stays, so MORE after a pick lists again."""
    from tests.answer_bank.nb06_directory import command, next_page, pick_number, with_more

    if command(text) == "more" and isinstance(state, dict) and "query" in state:
        return next_page({**state, "step": "choose", "ids": state.get("ids") or [0]})
    new_state, reply = with_more()(state, text)
    picked = pick_number(text) is not None and isinstance(state, dict) and "query" in state
    if picked and not new_state:
        new_state = {"query": state["query"], "offset": state["offset"]}
    return new_state, reply


def more_app(turn):
    """directory_webhook around a turn."""
    return directory_webhook(turn)


def sqlite_day(clock, path=None, mode="deferred"):
    """A SQLite day store: mode 'deferred' (Python's default transactions: the SELECT runs before
    any lock), 'two connections' (read on one, write on another) or 'immediate' (BEGIN IMMEDIATE
    ... COMMIT around the read and the write)."""
    import sqlite3
    import tempfile
    from contextlib import closing
    from pathlib import Path

    if path is None:
        folder = tempfile.mkdtemp()
        path = Path(folder) / "day.db"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS day (f TEXT, t TEXT, n INTEGER, until REAL, "
            "PRIMARY KEY (f, t))"
        )
    app = Flask("sqlite_day")

    @app.route("/sms", methods=["POST"])
    def count():
        f, t, now = request.form["From"], request.form["To"], clock.now().timestamp()
        immediate = {"isolation_level": None} if mode == "immediate" else {}
        reader = sqlite3.connect(path, timeout=30, **immediate)
        writer = reader if mode != "two connections" else sqlite3.connect(path, timeout=30)
        if mode == "immediate":
            reader.execute("BEGIN IMMEDIATE")
        row = reader.execute(
            "SELECT n FROM day WHERE f = ? AND t = ? AND until > ?", (f, t, now)
        ).fetchone()
        n = (row[0] if row else 0) + 1
        writer.execute("INSERT OR REPLACE INTO day VALUES (?, ?, ?, ?)", (f, t, n, now + 86400))
        if mode == "immediate":
            reader.execute("COMMIT")
        else:
            writer.commit()
        reader.close()
        writer.close()
        return twiml("Hello, thanks!" if n == 1 else f"You messaged {n} times.")

    return app


FIXED_DAY_FILE = []


def sqlite_at_a_fixed_path(clock):
    """The same file for every app (a path chosen once, as a constant would be)."""
    import tempfile
    from pathlib import Path

    if not FIXED_DAY_FILE:
        FIXED_DAY_FILE.append(Path(tempfile.mkdtemp()) / "day.db")
    return sqlite_day(clock, FIXED_DAY_FILE[0], mode="immediate")


class ClassStore:
    """Rows kept on the class: every instance shares them."""

    rows = {}


def class_attribute_store(clock):
    """A store object per app whose rows are a class attribute."""
    from tests.answer_bank.nb07_store import dict_store

    return dict_store(clock, rows=ClassStore().rows)


def mutable_default(clock, rows={}):  # noqa: B006 -- the learner's bug
    """make_day_app(clock, rows={}): the default dict is made once."""
    from tests.answer_bank.nb07_store import dict_store

    return dict_store(clock, rows=rows)


def clock_read_once(clock):
    """The time read when the app is made, not when a message comes."""
    from tests.answer_bank.nb07_store import dict_store

    frozen = clock.now()

    class Then:
        def now(self):
            return frozen

    return dict_store(Then())


def lock_per_request(clock):
    """A lock made inside the view: each request locks its own, so nothing is held off."""
    import threading

    rows = {}
    app = Flask("lock_per_request")

    @app.route("/sms", methods=["POST"])
    def count():
        key, now = (request.form["From"], request.form["To"]), clock.now()
        with threading.Lock():
            n, until = rows.get(key, (0, now))
            n = n + 1 if until > now else 1
            reply = "Hello, thanks!" if n == 1 else f"You messaged {n} times."
            rows[key] = (n, now + __import__("datetime").timedelta(hours=24))
        return twiml(reply)

    return app


ANSWERS += [
    wrong(
        MORE,
        "MORE moves one name on",
        lambda: (more_app(paged(more_by_one, lambda s, old: old + 1)),),
        "each 'more' lists the next page",
    ),
    wrong(
        MORE,
        "a new search keeps the old offset",
        lambda: (more_app(paged(search_keeps_offset, lambda s, old: old + 5)),),
        "each 'more' lists the next page of the latest search",
    ),
    wrong(
        MORE,
        "pages in a module-level dict keyed by To",
        lambda: (more_app(shared_pages(lambda v: v.get("To"))),),
        "not in a variable of your own",
    ),
    wrong(
        MORE,
        "pages in one module-level slot for everyone",
        lambda: (more_app(shared_pages(lambda v: "everyone")),),
        "not in a variable of your own",
    ),
    wrong(
        MORE,
        "pages by From, expiring by the computer's clock",
        lambda: (more_app(shared_pages(lambda v: v.get("From"), expires_by_wall_clock=True)),),
        "not in a variable of your own",
    ),
    wrong(
        MORE,
        "MORE after the last page starts again",
        lambda: (more_app(with_more(wraps_around)),),
        "each 'more' lists the next page",
    ),
    wrong(
        MORE,
        "the search outlives a pick",
        lambda: (more_app(more_after_a_pick),),
        "a number picks from the list just sent",
    ),
    wrong(
        STORE,
        "SQLite with Python's default transactions",
        lambda: (sqlite_day,),
        "read, add one and write back in one step",
    ),
    wrong(
        STORE,
        "SQLite read on one connection, written on another",
        lambda: (lambda clock: sqlite_day(clock, mode="two connections"),),
        "read, add one and write back in one step",
    ),
    wrong(
        STORE,
        "one SQLite file at a fixed path",
        lambda: (sqlite_at_a_fixed_path,),
        "create the store inside",
    ),
    wrong(
        STORE,
        "rows on a class attribute",
        lambda: (class_attribute_store,),
        "create the store inside",
    ),
    wrong(
        STORE, "a mutable default argument", lambda: (mutable_default,), "create the store inside"
    ),
    wrong(STORE, "the time read once", lambda: (clock_read_once,), "24 h 1 min later"),
    wrong(
        STORE,
        "a lock made per request",
        lambda: (lock_per_request,),
        "read, add one and write back",
    ),
]


#: 04 Exercise 2: cells that copy the header Twilio sent in ways the checks were not built
#: against (run in a fake notebook by tests/checks/test_fresh.py, after "first = …request").
SIGNATURE_COPIES = {
    "a slice of the header": "my_signature = first.headers['X-Twilio-Signature'][:]",
    "copy.copy of the header": (
        "import copy\nmy_signature = copy.copy(first.headers['X-Twilio-Signature'])"
    ),
    "base64 decoded and encoded again": (
        "import base64\n"
        "my_signature = base64.b64encode(base64.b64decode(first.headers['X-Twilio-Signature']))"
        ".decode()"
    ),
    "dict(headers).get": "my_signature = dict(first.headers).get('X-Twilio-Signature')",
    "%-formatting": "my_signature = '%s' % first.headers['X-Twilio-Signature']",
    "the header, once validate() says it is right": (
        "h = first.headers['X-Twilio-Signature']\n"
        "my_signature = h if RequestValidator(auth_token).validate(first.url, first.params, h) "
        "else None"
    ),
    "the header found by a case-blind search": (
        "my_signature = next(v for k, v in first.headers.items() "
        "if k.lower() == 'x-twilio-signature')"
    ),
    "strip and replace on the header": (
        "my_signature = first.headers['X-Twilio-Signature'].strip().replace(' ', '')"
    ),
}
