"""Notebook 03, Exercise 1 (reset_app) and Exercise 2 (hour_app)."""

from datetime import timedelta

from flask import Flask, request, session

from tests.answer_bank import right, twiml, wrong

RESET, HOUR = "check_reset_command", "check_one_hour_session"


def reply(count):
    """The counter's reply text."""
    to = request.values.get("To")
    return (
        "Hello Rey, thanks for the message!"
        if count == 1
        else f"Rey has messaged {to} {count} times."
    )


def counter(is_reset=None, clear=None, config=None, before=None, reset_text="Your count is reset."):
    """A session counter with an optional reset rule (is_reset(body), clear()) and settings."""
    app = Flask("counter")
    app.config.update(SECRET_KEY="k" * 32, **(config or {}))

    @app.route("/sms", methods=["GET", "POST"])
    def count():
        if before:
            before()
        body = request.values.get("Body", "")
        if is_reset and is_reset(body):
            (clear or (lambda: session.pop("counter", None)))()
            return twiml(reset_text)
        n = session.get("counter", 0) + 1
        session["counter"] = n
        return twiml(reply(n))

    return app


GLOBAL = {"count": 0}


def global_counter():
    """A counter kept in a module variable: one count for every phone."""
    GLOBAL["count"] = 0
    app = Flask("global")

    @app.route("/sms", methods=["POST"])
    def count():
        if request.values.get("Body", "").strip().lower() == "reset":
            GLOBAL["count"] = 0
            return twiml("Your count is reset.")
        GLOBAL["count"] += 1
        return twiml(reply(GLOBAL["count"]))

    return app


def reset_but_no_clear():
    """Says the count is reset but keeps it."""
    return counter(is_reset=lambda b: b.strip().lower() == "reset", clear=lambda: None)


def strip_lower(body):
    """The word, compared as the exercise says."""
    return body.strip().lower() == "reset"


def permanent():
    """Make the session permanent."""
    session.permanent = True


def set_counter(value):
    """A clear() that writes a number instead of removing the counter."""
    return lambda: session.__setitem__("counter", value)


ANSWERS = [
    right(RESET, "the notebook's answer", lambda: (counter(is_reset=strip_lower),)),
    right(
        RESET,
        "session.clear()",
        lambda: (counter(is_reset=strip_lower, clear=lambda: session.clear()),),
    ),
    right(
        RESET,
        "the counter set back to 0",
        lambda: (counter(is_reset=strip_lower, clear=set_counter(0)),),
    ),
    right(
        RESET,
        "casefold and split, another reply",
        lambda: (
            counter(
                is_reset=lambda b: " ".join(b.casefold().split()) == "reset",
                reset_text="OK, reset! Starting again.",
            ),
        ),
    ),
    wrong(RESET, "not written yet", lambda: (None,), "`reset_app` is not written yet"),
    wrong(RESET, "no reset word", lambda: (counter(),), "'reset' got 'Rey has messaged"),
    wrong(
        RESET,
        "exact 'reset' only",
        lambda: (counter(is_reset=lambda b: b == "reset"),),
        "'RESET  ' got 'Rey has messaged",
    ),
    wrong(
        RESET,
        "lower() without strip()",
        lambda: (counter(is_reset=lambda b: b.lower() == "reset"),),
        "compare Body.strip().lower()",
    ),
    wrong(
        RESET,
        "'reset' anywhere in the message",
        lambda: (counter(is_reset=lambda b: "reset" in b.lower()),),
        "compare with ==, not `in` or startswith",
    ),
    wrong(
        RESET,
        "a message starting with 'reset'",
        lambda: (counter(is_reset=lambda b: b.strip().lower().startswith("reset")),),
        "compare with ==, not `in` or startswith",
    ),
    wrong(
        RESET,
        "del session['counter'] fails with nothing to clear",
        lambda: (counter(is_reset=strip_lower, clear=lambda: session.__delitem__("counter")),),
        "use session.pop('counter', None)",
    ),
    wrong(
        RESET,
        "says reset, keeps the count",
        lambda: (reset_but_no_clear(),),
        "remove the counter from the session on reset",
    ),
    wrong(
        RESET,
        "the counter set back to 1",
        lambda: (counter(is_reset=strip_lower, clear=set_counter(1)),),
        "remove the counter from the session on reset",
    ),
    wrong(
        RESET,
        "a reply that is not about the reset",
        lambda: (counter(is_reset=strip_lower, reset_text="OK"),),
        "reply with a sentence that says the count is reset",
    ),
    wrong(
        RESET,
        "one count for every phone",
        lambda: (global_counter(),),
        "keep the counter working (one count per pair, in the session)",
    ),
    right(
        HOUR,
        "the notebook's answer",
        lambda: (
            counter(config={"PERMANENT_SESSION_LIFETIME": timedelta(hours=1)}, before=permanent),
        ),
    ),
    right(
        HOUR,
        "lifetime as 3600 seconds",
        lambda: (counter(config={"PERMANENT_SESSION_LIFETIME": 3600}, before=permanent),),
    ),
    right(
        HOUR,
        "timedelta(minutes=60)",
        lambda: (
            counter(config={"PERMANENT_SESSION_LIFETIME": timedelta(minutes=60)}, before=permanent),
        ),
    ),
    wrong(HOUR, "not written yet", lambda: (None,), "`hour_app` is not written yet"),
    wrong(
        HOUR,
        "lifetime set, session not permanent",
        lambda: (counter(config={"PERMANENT_SESSION_LIFETIME": timedelta(hours=1)}),),
        "and session.permanent = True",
    ),
    wrong(
        HOUR,
        "permanent with Flask's default lifetime",
        lambda: (counter(before=permanent),),
        "set PERMANENT_SESSION_LIFETIME to one hour",
    ),
    wrong(
        HOUR,
        "timedelta(1) is a day",
        lambda: (counter(config={"PERMANENT_SESSION_LIFETIME": timedelta(1)}, before=permanent),),
        "set PERMANENT_SESSION_LIFETIME to one hour",
    ),
    wrong(
        HOUR,
        "60 seconds, not 60 minutes",
        lambda: (counter(config={"PERMANENT_SESSION_LIFETIME": 60}, before=permanent),),
        "after 59 minutes the reply was 'Hello Rey, thanks for the message!'",
    ),
    wrong(
        HOUR,
        "two hours",
        lambda: (
            counter(config={"PERMANENT_SESSION_LIFETIME": timedelta(hours=2)}, before=permanent),
        ),
        "after 61 minutes the reply was 'Rey has messaged",
    ),
    wrong(
        HOUR,
        "a config key Flask does not know",
        lambda: (counter(config={"SESSION_COOKIE_MAX_AGE": 3600}, before=permanent),),
        "set PERMANENT_SESSION_LIFETIME to one hour",
    ),
    wrong(RESET, "a dict keyed by From", lambda: (dict_counter(by_from),), "is each pair's own"),
    wrong(
        RESET, "a dict keyed by the pair", lambda: (dict_counter(by_pair),), "4 hours of silence"
    ),
    wrong(RESET, "a reset that changes only the next reply", lambda: (flag_reset(),), "clears it"),
    wrong(HOUR, "a dict keyed by the pair", lambda: (dict_counter(by_pair),), "after 61 minutes"),
]


def by_from(values):
    """The key of a count kept per phone."""
    return values.get("From")


def by_pair(values):
    """The key of a count kept per pair, outside the session."""
    return (values.get("From"), values.get("To"))


def dict_counter(key):
    """Counts (and resets) kept in a dict of the app's own, never expiring."""
    counts = {}
    app = Flask("dict_counter")

    @app.route("/sms", methods=["POST"])
    def count():
        k = key(request.values)
        if strip_lower(request.values.get("Body", "")):
            counts.pop(k, None)
            return twiml("Your count is reset.")
        counts[k] = counts.get(k, 0) + 1
        return twiml(reply(counts[k]))

    return app


def flag_reset():
    """'reset' thanks the next message as a first one, but the count goes on."""
    app = Flask("flag_reset")
    app.config["SECRET_KEY"] = "k" * 32

    @app.route("/sms", methods=["POST"])
    def count():
        if strip_lower(request.values.get("Body", "")):
            session["fresh"] = True
            return twiml("Your count is reset.")
        n = session.get("counter", 0) + 1
        session["counter"] = n
        return twiml(reply(1 if session.pop("fresh", False) else n))

    return app
