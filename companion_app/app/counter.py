"""The SMS webhook: count a sender's messages in Flask's session cookie, or in the shared store.

``/sms`` counts in the session (the cookie Twilio carries). ``/sms/store`` counts in the store that
STORE_URL names (SQLite on one machine, Redis for several), keyed by the (From, To) pair and counted
once per MessageSid, so Twilio's retry of a message counts once whichever host it lands on.
"""

import logging
import threading

from flask import Blueprint, current_app, request, session
from twilio.twiml.messaging_response import MessagingResponse

from companion_app.app.incoming import accept_incoming, plain, twiml
from companion_app.app.store import StoreUnavailable, open_store
from companion_app.serving.printable import printable
from companion_app.simulator.clock import SystemClock

#: The session key that holds how many messages this conversation has had.
COUNTER_KEY = "counter"

#: The name used for numbers that are not in the caller directory.
UNKNOWN_CALLER = "Friend"

bp = Blueprint("webhook", __name__)

#: Log one line per message (pair and count or step), never the body. Its name is not the
#: app's: Flask would attach its timestamped default handler to the app's logger.
log = logging.getLogger(__name__)


def read_counter():
    """The stored count, or 0 when the session holds nothing usable."""
    value = session.get(COUNTER_KEY, 0)
    return value if type(value) is int and value >= 0 else 0


def reply_text(name, to, count):
    """The counter's reply: a thank-you first, then Twilio's own wording."""
    if count == 1:
        return f"Hello {name}, thanks for the message!"
    return f"{name} has messaged {to} {count} times."


@bp.route("/sms", methods=["GET", "POST"])
def count_messages():
    """Reply to an incoming SMS with how many messages this From/To pair has sent."""
    incoming, refusal = accept_incoming()
    if refusal:
        return refusal

    count = read_counter() + 1
    session[COUNTER_KEY] = count
    name = current_app.config["CALLERS"].get(incoming.from_, UNKNOWN_CALLER)
    if log.isEnabledFor(logging.INFO):  # printable() only when the line is written
        log.info(
            "message %s -> %s: count %d", printable(incoming.from_), printable(incoming.to), count
        )
    incoming.record(count=count)

    response = MessagingResponse()
    response.message(reply_text(name, incoming.to, count))
    return twiml(response)


#: What /sms/store answers when the store is down. Twilio logs error 11200, sends no reply and
#: does not retry a 5xx (it retries only a failed connection); a Fallback URL set on the number
#: is requested instead. Nothing was counted, so the counts stay exact.
STORE_DOWN = "The conversation store is unavailable, so this message was not counted."

#: Seconds a client should wait before trying again (the Retry-After header of that 503).
RETRY_AFTER = 30

_opening = threading.Lock()


def add_one(state):
    """The counter's change to a stored state: one more message."""
    return {**state, COUNTER_KEY: state.get(COUNTER_KEY, 0) + 1}


def conversation_store(app):
    """The app's store, opened from STORE_URL on first use (one per process)."""
    store = app.extensions.get("store")
    if store is None:
        with _opening:
            store = app.extensions.get("store")
            if store is None:
                clock = app.config.get("STORE_CLOCK") or SystemClock()
                lifetime = app.config["STORE_LIFETIME"]
                store = app.extensions["store"] = open_store(
                    app.config["STORE_URL"], clock, lifetime
                )
    return store


@bp.route("/sms/store", methods=["GET", "POST"])
def count_in_store():
    """Reply with this From/To pair's count, kept in the shared store; no cookie is set."""
    incoming, refusal = accept_incoming()
    if refusal:
        return refusal
    app = current_app._get_current_object()
    sid = incoming.params.get("MessageSid") or None
    try:
        count = conversation_store(app).update(incoming.from_, incoming.to, add_one, sid)[
            COUNTER_KEY
        ]
    except StoreUnavailable as error:
        log.error("message %s -> %s: %s", printable(incoming.from_), printable(incoming.to), error)
        incoming.record(status=503)
        response = plain(STORE_DOWN, 503)
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response
    name = app.config["CALLERS"].get(incoming.from_, UNKNOWN_CALLER)
    if log.isEnabledFor(logging.INFO):
        log.info(
            "message %s -> %s: stored count %d",
            printable(incoming.from_),
            printable(incoming.to),
            count,
        )
    incoming.record(count=count)
    response = MessagingResponse()
    response.message(reply_text(name, incoming.to, count))
    return twiml(response)


@bp.app_errorhandler(405)
def method_not_allowed(error):
    """Answer a wrong method with a plain sentence instead of an HTML page."""
    return plain(f"Method {request.method} is not allowed here: Twilio uses POST or GET.", 405)


@bp.app_errorhandler(400)
@bp.app_errorhandler(413)
def refuse_request(error):
    """A bad or too large request in one plain sentence (werkzeug's description of it)."""
    return plain(error.description, error.code)


@bp.app_errorhandler(500)
def internal_error(error):
    """Never show a traceback: a short plain-text 500 (the details go to the log).

    A session store that is down (server-side sessions) is a 503 with Retry-After, as /sms/store's.
    """
    if isinstance(getattr(error, "original_exception", None), StoreUnavailable):
        response = plain(STORE_DOWN, 503)
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response
    return plain("The webhook failed; the details are in the server log.", 500)
