"""The SMS webhook: count a sender's messages in Flask's session cookie."""

import logging

from flask import Blueprint, current_app, request, session
from twilio.twiml.messaging_response import MessagingResponse

from companion_app.app.incoming import accept_incoming, plain, twiml
from companion_app.serving.printable import printable

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
    """Never show a traceback: a short plain-text 500 (the details go to the log)."""
    return plain("The webhook failed; the details are in the server log.", 500)
