"""sms-cookies companion app: a Flask webhook that counts a sender's messages in a session cookie."""

import logging
import secrets
from datetime import timedelta

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from companion_app.activity import RecentRequests
from companion_app.directory import bp as directory_bp
from companion_app.framing import MAX_BODY_BYTES, RequestGuard
from companion_app.server import RequestHandler
from companion_app.sessions import CachedSessionInterface
from companion_app.settings import DEFAULT_CALLERS, load_settings
from companion_app.webhook import bp as webhook_bp

__all__ = ["create_app", "DEFAULT_CALLERS"]

log = logging.getLogger(__name__)


#: How long a session cookie is honoured: Twilio keeps a cookie 4 hours, so a replayed older one
#: is refused too (Flask checks the age signed into the cookie).
SESSION_LIFETIME = timedelta(hours=4)


class CompanionFlask(Flask):
    """Flask whose development server (app.run) uses the safe request handler."""

    def run(self, host=None, port=None, debug=None, load_dotenv=True, **options):
        """Flask's app.run, with companion_app.server.RequestHandler unless told otherwise."""
        options.setdefault("request_handler", RequestHandler)
        super().run(host=host, port=port, debug=debug, load_dotenv=load_dotenv, **options)


def create_app(test_config=None):
    """Build the webhook app: safe defaults, then the environment (and .env), then test_config."""
    app = CompanionFlask(__name__)
    app.session_interface = CachedSessionInterface()
    app.config.from_mapping(
        SECRET_KEY=None,
        TWILIO_AUTH_TOKEN=None,
        PUBLIC_URL=None,
        TRUST_PROXY_HEADERS=False,
        CALLERS=dict(DEFAULT_CALLERS),
        ENV_FILE=".env",
        RECENT_REQUESTS=20,
        # RequestGuard applies it to every request, before Flask reads anything. (Flask's own
        # MAX_CONTENT_LENGTH would only repeat the check, through a slower stream wrapper.)
        MAX_BODY_BYTES=MAX_BODY_BYTES,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    env_file = (test_config or {}).get("ENV_FILE", app.config["ENV_FILE"])
    app.config.update(load_settings(env_file))
    if test_config is not None:
        app.config.update(test_config)

    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        app.config["SECRET_KEY_GENERATED"] = True
        log.warning(
            "SECRET_KEY is not set: using a random key. Conversations will not survive a "
            "restart and will not be shared between workers. Set SECRET_KEY to fix this."
        )
    if not app.config["TWILIO_AUTH_TOKEN"]:
        log.warning(
            "TWILIO_AUTH_TOKEN is not set: request signatures are NOT checked. "
            "Anyone who finds this URL can post to it."
        )
    if app.config["TRUST_PROXY_HEADERS"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)
    app.wsgi_app = RequestGuard(app.wsgi_app, limit=app.config["MAX_BODY_BYTES"])

    app.extensions["recent_requests"] = RecentRequests(app.config["RECENT_REQUESTS"])

    app.register_blueprint(webhook_bp)
    app.register_blueprint(directory_bp)
    return app
