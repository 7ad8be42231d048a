"""Notebook 05, Exercise 1 (broken_app) and Exercise 2 (edge_script)."""

from datetime import timedelta

from flask import Flask, Response, request, session

from companion_app import create_app
from companion_app.teaching.verify import AUTH_TOKEN, OTHER_NUMBER, send, wait
from tests.answer_bank import right, twiml, wrong

BROKEN, EDGE = "check_comparison_catches", "check_edge_script"
REY, FINN, NUMBER = "+14155550100", "+14155550101", "+14155550199"
CALLERS = {REY: "Rey", FINN: "Finn"}


def reply_text(name, to, count):
    """The reference counter's reply."""
    if count == 1:
        return f"Hello {name}, thanks for the message!"
    return f"{name} has messaged {to} {count} times."


def counter(step=1, start=0, store=True, name_of=None, respond=None):
    """Notebook 03's counter with one change: how it counts, stores, names, or answers."""
    app = Flask("broken_counter")
    app.config["SECRET_KEY"] = "k" * 32

    @app.route("/sms", methods=["GET", "POST"])
    def count():
        n = session.get("counter", start) + step
        if store:
            session["counter"] = n
        sender = request.values.get("From")
        name = (name_of or (lambda s: CALLERS.get(s, "Friend")))(sender)
        if respond:
            return respond(sender, n)
        return twiml(reply_text(name, request.values.get("To"), n))

    return app


def silent_for_strangers(sender, n):
    """No reply for callers it does not know."""
    if sender not in CALLERS:
        return Response("<Response/>", mimetype="application/xml")
    return twiml(reply_text(CALLERS[sender], request.values.get("To"), n))


def fails_for_strangers(sender, n):
    """Looks the caller up with [], which fails for a number it does not know."""
    return twiml(reply_text(CALLERS[sender], request.values.get("To"), n))


def no_secret_key():
    """The counter with no SECRET_KEY: every message fails."""
    app = counter()
    app.config["SECRET_KEY"] = None
    return app


def reference():
    """The reference app itself, passed as the broken one."""
    return create_app(
        {
            "SECRET_KEY": "other-key",
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "PUBLIC_URL": "https://example.ngrok.app",
        }
    )


EDGE_WAIT = 3 + 59 / 60

ANSWERS = [
    right(BROKEN, "forgets to store the count", lambda: (counter(store=False),)),
    right(BROKEN, "counts from zero", lambda: (counter(start=-1),)),
    right(BROKEN, "counts two at a time", lambda: (counter(step=2),)),
    right(BROKEN, "calls everyone Friend", lambda: (counter(name_of=lambda sender: "Friend"),)),
    wrong(BROKEN, "not written yet", lambda: (None,), "`broken_app` is not written yet"),
    wrong(
        BROKEN,
        "a faithful copy",
        lambda: (counter(),),
        "found no difference besides the forgery",
    ),
    wrong(
        BROKEN,
        "the reference itself",
        lambda: (reference(),),
        "found no difference besides the forgery",
    ),
    wrong(
        BROKEN,
        "fails on every message",
        lambda: (no_secret_key(),),
        "break the logic, not the app",
    ),
    wrong(
        BROKEN,
        "fails for unknown callers",
        lambda: (counter(respond=fails_for_strangers),),
        "fails outright or stays silent at step 5, 7",
    ),
    wrong(
        BROKEN,
        "silent for strangers",
        lambda: (counter(respond=silent_for_strangers),),
        "fails outright or stays silent at step 5, 7",
    ),
    right(
        EDGE,
        "the notebook's script",
        lambda: (
            [
                send(REY, NUMBER, "one"),
                send(REY, NUMBER, "two"),
                wait(EDGE_WAIT),
                send(REY, NUMBER, "three"),
            ],
        ),
    ),
    right(
        EDGE,
        "wait(3.99), three messages before, a tuple",
        lambda: (
            (
                send(REY, NUMBER, "a"),
                send(FINN, NUMBER, "hi"),
                send(REY, NUMBER, "b"),
                send(REY, NUMBER, "c"),
                wait(3.99),
                send(REY, NUMBER, "d"),
            ),
        ),
    ),
    right(
        EDGE,
        "wait(4 - 1 / 60)",
        lambda: (
            [
                send(FINN, NUMBER, "x"),
                send(FINN, NUMBER, "y"),
                wait(4 - 1 / 60),
                send(FINN, NUMBER, "z"),
            ],
        ),
    ),
    wrong(EDGE, "not written yet", lambda: (None,), "`edge_script` is not written yet"),
    wrong(
        EDGE,
        "one message before the wait",
        lambda: ([send(REY, NUMBER, "one"), wait(EDGE_WAIT), send(REY, NUMBER, "two")],),
        "only 1 time(s) before the wait",
    ),
    wrong(
        EDGE,
        "the wait first",
        lambda: ([wait(EDGE_WAIT), send(REY, NUMBER, "one"), send(REY, NUMBER, "two")],),
        "only 0 time(s) before the wait",
    ),
    wrong(
        EDGE,
        "3.59 hours for 3 h 59 min",
        lambda: (
            [
                send(REY, NUMBER, "one"),
                send(REY, NUMBER, "two"),
                wait(3.59),
                send(REY, NUMBER, "three"),
            ],
        ),
        "wait(3.59) is 3.59 hours (3 h 35 min): the digits after the point are a fraction of an hour",
    ),
    wrong(
        EDGE,
        "exactly four hours",
        lambda: (
            [
                send(REY, NUMBER, "one"),
                send(REY, NUMBER, "two"),
                wait(4),
                send(REY, NUMBER, "three"),
            ],
        ),
        "wait(4) is 4 hours (4 h 0 min), when Twilio has already dropped the cookie",
    ),
    wrong(
        EDGE,
        "minutes instead of hours",
        lambda: (
            [
                send(REY, NUMBER, "one"),
                send(REY, NUMBER, "two"),
                wait(239),
                send(REY, NUMBER, "three"),
            ],
        ),
        "wait(239) is 239 hours (239 h 0 min): wait counts hours, not minutes",
    ),
    wrong(
        EDGE,
        "the third message to another number",
        lambda: (
            [
                send(REY, NUMBER, "one"),
                send(REY, NUMBER, "two"),
                wait(EDGE_WAIT),
                send(REY, OTHER_NUMBER, "three"),
            ],
        ),
        "only 0 time(s) before the wait",
    ),
    wrong(
        EDGE,
        "the third message from another phone",
        lambda: (
            [
                send(REY, NUMBER, "one"),
                send(REY, NUMBER, "two"),
                wait(EDGE_WAIT),
                send(FINN, NUMBER, "three"),
            ],
        ),
        "only 0 time(s) before the wait",
    ),
    wrong(
        EDGE,
        "nothing after the wait",
        lambda: ([send(REY, NUMBER, "one"), send(REY, NUMBER, "two"), wait(EDGE_WAIT)],),
        "nothing is sent right after the wait",
    ),
    wrong(
        EDGE,
        "another silence between",
        lambda: (
            [
                send(REY, NUMBER, "1"),
                send(REY, NUMBER, "2"),
                wait(1),
                send(FINN, NUMBER, "x"),
                wait(EDGE_WAIT),
                send(REY, NUMBER, "3"),
            ],
        ),
        "keep the pair's messages together and the silence under 4 hours",
    ),
    wrong(
        EDGE,
        "tuples, not steps",
        lambda: (
            [(REY, NUMBER, "one"), (REY, NUMBER, "two"), ("wait", 3.98), (REY, NUMBER, "three")],
        ),
        "should be a list made with send(...) and wait(...)",
    ),
    wrong(EDGE, "a string", lambda: ("send, send, wait, send",), "should be a list of steps"),
    right(
        EDGE,
        "wait(3) then wait(59 / 60)",
        lambda: (edge_with(wait(3), wait(59 / 60)),),
    ),
    right(
        EDGE,
        "wait(239 / 60), numbers of the learner's own",
        lambda: (
            [
                send("+15550001111", "+15550009999", "one"),
                send("+15550001111", "+15550009999", "two"),
                wait(239 / 60),
                send("+15550001111", "+15550009999", "three"),
            ],
        ),
    ),
    wrong(
        EDGE,
        "From and To swapped",
        lambda: (
            [
                send(NUMBER, REY, "one"),
                send(NUMBER, REY, "two"),
                wait(EDGE_WAIT),
                send(NUMBER, REY, "three"),
            ],
        ),
        "takes the phone first, the Twilio number second",
    ),
    wrong(EDGE, 'wait("3:59")', lambda: (edge_with(wait("3:59")),), "wait takes a number of hours"),
    wrong(
        EDGE, 'wait("3h59m")', lambda: (edge_with(wait("3h59m")),), "wait takes a number of hours"
    ),
    wrong(
        EDGE,
        "wait(timedelta(hours=3, minutes=59))",
        lambda: (edge_with(wait(timedelta(hours=3, minutes=59))),),
        "is given a timedelta, and wait takes a number of hours",
    ),
    wrong(EDGE, "wait(-1)", lambda: (edge_with(wait(-1)),), "wait takes a number of hours, 0 or"),
]


def edge_with(*waits):
    """Rey texts twice, the waits pass, Rey texts again."""
    return [send(REY, NUMBER, "one"), send(REY, NUMBER, "two"), *waits, send(REY, NUMBER, "3")]
