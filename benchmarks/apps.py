"""The webhooks compared, served by one WSGI app so one gunicorn measures them side by side.

- ``/sms``: the companion counter webhook, signature checks on (``companion_app.create_app``).
- ``/unsigned/sms``: the same webhook with signature checks off, to price the check itself.
- ``/bare``: a Flask route that returns a constant ``<Response/>``: the floor of any Flask webhook.
- ``/tutorial``: Twilio's original "Tracking SMS conversations" tutorial code, written here from its
  description: a session counter, a ``callers`` dict, ``str(resp)`` of a ``MessagingResponse`` (sent
  as text/html), no signature check.
"""

import logging

from flask import Flask, Response, request, session
from twilio.twiml.messaging_response import MessagingResponse

from companion_app import create_app

#: The token and public URL the benchmark clients sign for.
AUTH_TOKEN = "12345"  # noqa: S105 (twilio-python's public test-vector token)
PUBLIC_URL = "https://example.ngrok.app"
SECRET_KEY = "benchmark-secret-key"  # noqa: S105 (a benchmark, never served beyond 127.0.0.1)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def create_companion_app(signed=True):
    """The companion webhook as served in production: fixed key, signatures checked."""
    config = {"SECRET_KEY": SECRET_KEY, "ENV_FILE": None}
    if signed:
        config.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_URL=PUBLIC_URL)
        return create_app(config)
    # Unsigned on purpose: its start-up warning would only be noise in the benchmark's output.
    logger = logging.getLogger("companion_app")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return create_app(config)
    finally:
        logger.setLevel(level)


def create_bare_app():
    """A Flask app whose only route answers every message with an empty TwiML document."""
    app = Flask("bare")

    @app.route("/bare", methods=["GET", "POST"])
    def empty_reply():
        """Reply with nothing."""
        return Response(EMPTY_TWIML, mimetype="application/xml")

    return app


def create_tutorial_app():
    """Twilio's tutorial webhook, as its text describes it (its habits kept on purpose)."""
    app = Flask("tutorial")
    app.config["SECRET_KEY"] = SECRET_KEY
    callers = {
        "+14158675308": "Rey",
        "+12349013030": "Finn",
        "+12348134522": "Chewy",
    }

    @app.route("/tutorial", methods=["GET", "POST"])
    def hello():
        """Count the sender's messages in the session and say so."""
        counter = session.get("counter", 0)
        counter += 1
        session["counter"] = counter
        from_number = request.values.get("From")
        name = callers.get(from_number, "Friend")
        message = f"{name} has messaged {request.values.get('To')} {counter} times."
        resp = MessagingResponse()
        resp.message(message)
        return str(resp)

    return app


def create_bench_app():
    """One WSGI app: each path goes to its own Flask app (only /unsigned is cut off the path)."""
    routes = {
        "/sms": create_companion_app(),
        "/unsigned/sms": create_companion_app(signed=False),
        "/bare": create_bare_app(),
        "/tutorial": create_tutorial_app(),
    }
    fallback = routes["/bare"]

    def dispatch(environ, start_response):
        path = environ.get("PATH_INFO", "")
        app = routes.get(path, fallback)
        if path.startswith("/unsigned/"):
            environ = {**environ, "PATH_INFO": path.removeprefix("/unsigned")}
        return app(environ, start_response)

    return dispatch
