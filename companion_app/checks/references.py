"""The reference answers the generated conversations are compared with: companion_app's counter
(its reply text and its session key) with each exercise's rule, one new app per check."""

import secrets
from datetime import timedelta

from flask import Flask, Response, request, session
from twilio.twiml.messaging_response import MessagingResponse

from companion_app.app.counter import reply_text


def counter_reference(reset=False, lifetime=None):
    """The session counter; with reset=True the word 'reset' clears it, lifetime ends it sooner."""
    app = Flask("reference_counter")
    app.config["SECRET_KEY"] = secrets.token_hex(32)
    if lifetime is not None:
        app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=lifetime)

    @app.route("/sms", methods=["GET", "POST"])
    def count_messages():
        response = MessagingResponse()
        if lifetime is not None:
            session.permanent = True
        if reset and request.values.get("Body", "").strip().lower() == "reset":
            session.pop("counter", None)
            response.message("Your count is reset.")
        else:
            count = session.get("counter", 0) + 1
            session["counter"] = count
            response.message(reply_text("Friend", request.values.get("To"), count))
        return Response(str(response), mimetype="application/xml")

    return app
