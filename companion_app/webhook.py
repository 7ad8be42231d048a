"""The SMS webhook: count a sender's messages in Flask's session cookie."""

import logging

from flask import Blueprint, Response, current_app, request, session
from twilio.twiml.messaging_response import MessagingResponse

from companion_app.signature import check_signature

#: The session key that holds how many messages this conversation has had.
COUNTER_KEY = "counter"

#: The name used for numbers that are not in the caller directory.
UNKNOWN_CALLER = "Friend"

#: The request bodies Flask reads into request.form (Twilio sends the first).
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

bp = Blueprint("webhook", __name__)

#: Log one line per message (pair and count or step), never the body. Its name is not the
#: app's: Flask would attach its timestamped default handler to the app's logger.
log = logging.getLogger(__name__)


def plain(text, status):
    """A short plain-text response (for errors a developer reads in Twilio's debugger)."""
    return Response(text + "\n", status=status, mimetype="text/plain")


def twiml(response):
    """Send a MessagingResponse as XML."""
    return Response(str(response), mimetype="application/xml")


def read_counter():
    """The stored count, or 0 when the session holds nothing usable."""
    value = session.get(COUNTER_KEY, 0)
    return value if type(value) is int and value >= 0 else 0


def reply_text(name, to, count):
    """The counter's reply: a thank-you first, then Twilio's own wording."""
    if count == 1:
        return f"Hello {name}, thanks for the message!"
    return f"{name} has messaged {to} {count} times."


def unreadable_body():
    """(why, status) when a POST body is not a form Flask could read, else (None, None)."""
    if request.method != "POST" or not request.content_length:
        return None, None
    if request.mimetype not in FORM_TYPES:
        return (
            f"Unsupported Content-Type {request.mimetype or '(none)'}: Twilio posts form "
            "fields (application/x-www-form-urlencoded).",
            415,
        )
    if not request.form:
        return "Could not read the form: Twilio sends UTF-8 encoded form fields.", 400
    return None, None


@bp.route("/sms", methods=["GET", "POST"])
def count_messages():
    """Reply to an incoming SMS with how many messages this From/To pair has sent."""
    params = request.form if request.method == "POST" else request.args
    from_, to = params.get("From", ""), params.get("To", "")
    recent = current_app.extensions["recent_requests"]

    signature, reason = check_signature()
    if reason:
        recent.record(from_=from_, to=to, count=None, signature=signature, status=403)
        log.warning("rejected request from %s to %s: %s", from_, to, reason)
        return plain(reason, 403)

    problem, status = unreadable_body()
    if problem:
        recent.record(from_=from_, to=to, count=None, signature=signature, status=status)
        return plain(problem, status)

    missing = [name for name, value in (("From", from_), ("To", to)) if not value]
    if missing:
        recent.record(from_=from_, to=to, count=None, signature=signature, status=400)
        return plain(f"Missing parameter: {' and '.join(missing)}.", 400)

    count = read_counter() + 1
    session[COUNTER_KEY] = count
    name = current_app.config["CALLERS"].get(from_, UNKNOWN_CALLER)
    log.info("message %s -> %s: count %d", from_, to, count)
    recent.record(from_=from_, to=to, count=count, signature=signature, status=200)

    response = MessagingResponse()
    response.message(reply_text(name, to, count))
    return twiml(response)


@bp.app_errorhandler(405)
def method_not_allowed(error):
    """Answer a wrong method with a plain sentence instead of an HTML page."""
    return plain(f"Method {request.method} is not allowed here: Twilio uses POST or GET.", 405)


@bp.app_errorhandler(500)
def internal_error(error):
    """Never show a traceback: a short plain-text 500 (the details go to the log)."""
    return plain("The webhook failed; the details are in the server log.", 500)
