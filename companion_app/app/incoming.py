"""What every webhook of the app checks before it answers: signature, a readable form, the pair."""

import logging
from dataclasses import dataclass

from flask import Response, current_app, request

from companion_app.app.signature import check_signature
from companion_app.serving.printable import printable, xml_safe

#: The request bodies Flask reads into request.form (Twilio sends the first).
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Incoming:
    """A request Twilio could have sent: its parameters, its From/To pair and its signature state."""

    params: object
    from_: str
    to: str
    signature: str

    @property
    def body(self):
        """The message text ('' for a picture-only MMS)."""
        return self.params.get("Body", "")

    def record(self, count=None, status=200):
        """Add this request to the app's recent-requests list."""
        current_app.extensions["recent_requests"].record(
            from_=self.from_, to=self.to, count=count, signature=self.signature, status=status
        )


def plain(text, status):
    """A short plain-text response (for errors a developer reads in Twilio's debugger)."""
    return Response(text + "\n", status=status, mimetype="text/plain")


def twiml(response):
    """Send a MessagingResponse as XML (characters XML 1.0 cannot carry become U+FFFD)."""
    return Response(xml_safe(str(response)), mimetype="application/xml")


def unreadable_body(req):
    """(why, status) when a POST body is not a form Flask could read, else (None, None)."""
    if req.method != "POST" or not req.content_length:
        return None, None
    if req.form:  # only a form content type gives form fields: nothing to refuse
        return None, None
    if req.mimetype not in FORM_TYPES:
        return (
            f"Unsupported Content-Type {req.mimetype or '(none)'}: Twilio posts form "
            "fields (application/x-www-form-urlencoded).",
            415,
        )
    if not req.form:
        return "Could not read the form: Twilio sends UTF-8 encoded form fields.", 400
    return None, None


def accept_incoming():
    """(Incoming, None) for a request to answer, else (None, a plain-text refusal).

    In order: a missing or wrong signature is 403, a body that is not a readable form 415 or 400,
    a missing From or To 400. Each refusal is recorded in the recent-requests list.
    """
    req = request._get_current_object()  # one look-up of the request, not one per attribute
    params = req.form if req.method == "POST" else req.args
    signature, reason = check_signature()
    incoming = Incoming(params, params.get("From", ""), params.get("To", ""), signature)
    if reason:
        log.warning(
            "rejected request from %s to %s: %s",
            printable(incoming.from_),
            printable(incoming.to),
            printable(reason),
        )
        status = 403
    else:
        reason, status = unreadable_body(req)
    if not reason:
        missing = [
            name for name, value in (("From", incoming.from_), ("To", incoming.to)) if not value
        ]
        if missing:
            reason, status = f"Missing parameter: {' and '.join(missing)}.", 400
    if reason:
        incoming.record(status=status)
        return None, plain(reason, status)
    return incoming, None
