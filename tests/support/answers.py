"""Small reference answers the checks' tests run: the cookie counter, and reading TwiML and log lines."""

from flask import Flask, Response, request, session
from twilio.twiml.messaging_response import MessagingResponse


def twiml(text):
    """A TwiML reply with one message."""
    response = MessagingResponse()
    response.message(text)
    return Response(str(response), mimetype="application/xml")


def counter(reset=False, lifetime=None, store=True):
    """A counter app, optionally with a reset word or a session lifetime."""
    app = Flask("counter")
    app.config["SECRET_KEY"] = "k"
    if lifetime:
        app.config["PERMANENT_SESSION_LIFETIME"] = lifetime

    @app.route("/sms", methods=["GET", "POST"])
    def count():
        if lifetime:
            session.permanent = True
        if reset and request.values.get("Body", "").strip().lower() == "reset":
            session.pop("counter", None)
            return twiml("Your count is reset.")
        n = session.get("counter", 0) + 1
        if store:
            session["counter"] = n
        to = request.values.get("To")
        return twiml(
            "Hello Rey, thanks for the message!" if n == 1 else f"Rey has messaged {to} {n} times."
        )

    return app


def lines(verdict):
    """The report's lines."""
    return repr(verdict).splitlines()
