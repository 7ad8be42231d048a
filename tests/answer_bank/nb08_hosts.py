"""Notebook 08, Exercise 1, one host of several: make_host(store)."""

import threading

from flask import Flask, Response, request

from companion_app.app.store import StoreUnavailable
from tests.answer_bank import right, twiml, wrong

CHECK = "check_shared_store_host"


def add_one(state):
    """One more message."""
    return {**state, "counter": state.get("counter", 0) + 1}


def reply(count):
    """The counter's reply."""
    return twiml("Hello, thanks for the message!" if count == 1 else f"You messaged {count} times.")


def host(store, sid=True, key=lambda f: (f["From"], f["To"]), down=(503, "30")):
    """A host counting in `store`; down is (status, Retry-After or None) for a store that is down."""
    app = Flask("host")

    @app.route("/sms", methods=["POST"])
    def count_in_store():
        message_sid = request.form.get("MessageSid") if sid else None
        try:
            count = store.update(*key(request.form), add_one, message_sid)["counter"]
        except StoreUnavailable:
            status, retry_after = down
            headers = {"Retry-After": retry_after} if retry_after else {}
            return Response("Try again later.\n", status=status, headers=headers)
        return reply(count)

    return app


def handler_host(store):
    """A right answer written with an error handler instead of try/except."""
    app = Flask("host")

    @app.errorhandler(StoreUnavailable)
    def store_down(error):
        return "The store is down.", 503, {"Retry-After": "60"}

    @app.route("/sms", methods=["GET", "POST"])
    def count_in_store():
        form = request.values
        state = store.update(form["From"], form["To"], add_one, form.get("MessageSid"))
        return reply(state["counter"])

    return app


def own_counts(store):
    """Counts in a dict of its own: each host counts only what it saw."""
    app, counts, lock = Flask("host"), {}, threading.Lock()

    @app.route("/sms", methods=["POST"])
    def count_here():
        pair = (request.form["From"], request.form["To"])
        with lock:
            counts[pair] = counts.get(pair, 0) + 1
        return reply(counts[pair])

    return app


def no_handler(store):
    """Lets StoreUnavailable escape: Flask answers 500."""
    app = Flask("host")

    @app.route("/sms", methods=["POST"])
    def count_in_store():
        f = request.form
        return reply(store.update(f["From"], f["To"], add_one, f.get("MessageSid"))["counter"])

    return app


ANSWERS = [
    right(CHECK, "the notebook's answer (try/except)", lambda: (host,)),
    right(CHECK, "an error handler for StoreUnavailable", lambda: (handler_host,)),
    wrong(CHECK, "not written yet", lambda: (None,), "`make_host` is not written yet"),
    wrong(CHECK, "counts in the app", lambda: (own_counts,), "count in the store you are given"),
    wrong(
        CHECK,
        "MessageSid not passed",
        lambda: (lambda store: host(store, sid=False),),
        "pass the MessageSid to store.update",
    ),
    wrong(
        CHECK,
        "keyed by the number only",
        lambda: (lambda store: host(store, key=lambda f: ("", f["To"])),),
        "key the count by From and To",
    ),
    wrong(CHECK, "no handler: a 500", lambda: (no_handler,), "answered HTTP 500"),
    wrong(
        CHECK,
        "an apology with 200",
        lambda: (lambda store: host(store, down=(200, None)),),
        "answered HTTP 200",
    ),
    wrong(
        CHECK,
        "503 without Retry-After",
        lambda: (lambda store: host(store, down=(503, None)),),
        "the 503 has no Retry-After header",
    ),
    wrong(
        CHECK,
        "an app, not a function that makes one",
        lambda: (host(None),),
        "`make_host` should be a function make_host(store)",
    ),
]
