"""sms-cookies companion app: a Flask webhook that counts a sender's messages in a session cookie.

The package is grouped by role: app/ (the webhooks), serving/ (servers), golive/ (tunnel and
number), simulator/ (Twilio offline), teaching/ and checks (what the notebooks use). The names the
notebooks and README use stay as they were: `companion_app.server`, `companion_app.live`, … are the
modules in those folders (see PUBLIC_MODULES).
"""

import importlib
import importlib.abc
import importlib.util
import logging
import secrets
import sys
from datetime import timedelta

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from companion_app.app.activity import RecentRequests
from companion_app.app.counter import bp as webhook_bp
from companion_app.app.directory import bp as directory_bp
from companion_app.app.sessions import CachedSessionInterface, server_side_sessions
from companion_app.app.store import DEFAULT_STORE_URL, StoreUnavailable
from companion_app.serving.framing import MAX_BODY_BYTES, RequestGuard
from companion_app.settings import DEFAULT_CALLERS, load_settings

__all__ = ["create_app", "DEFAULT_CALLERS"]

#: The public module names, as the notebooks and README import them, and where each module lives.
PUBLIC_MODULES = {
    "activity": "companion_app.app.activity",
    "directory": "companion_app.app.directory",
    "incoming": "companion_app.app.incoming",
    "sessions": "companion_app.app.sessions",
    "signature": "companion_app.app.signature",
    "store": "companion_app.app.store",
    "webhook": "companion_app.app.counter",
    "framing": "companion_app.serving.framing",
    "printable": "companion_app.serving.printable",
    "production": "companion_app.serving.production",
    "server": "companion_app.serving.server",
    "live": "companion_app.golive.live",
    "number_record": "companion_app.golive.number_record",
    "tunnel": "companion_app.golive.tunnel",
    "twilio_number": "companion_app.golive.number",
    "chat": "companion_app.teaching.chat",
    "explain": "companion_app.teaching.explain",
    "verify": "companion_app.teaching.verify",
}


class _PublicNames(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`import companion_app.server` gives companion_app.serving.server itself (not a copy).

    Imported on first use, so `import companion_app` does not load pyngrok or twilio's REST client.
    """

    def find_spec(self, fullname, path=None, target=None):
        """A spec for a public name; None for every other module."""
        package, _, name = fullname.rpartition(".")
        if package == __name__ and name in PUBLIC_MODULES:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        """The module where the public name lives."""
        module = importlib.import_module(PUBLIC_MODULES[spec.name.rpartition(".")[2]])
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module):
        """Nothing to run; give the module back its own spec (the import system set the alias's)."""
        module.__spec__ = module.__spec__.loader_state


def __getattr__(name):
    """`from companion_app import server` and `companion_app.live` find the moved modules."""
    if name in PUBLIC_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if not any(type(finder).__qualname__ == "_PublicNames" for finder in sys.meta_path):
    sys.meta_path.insert(0, _PublicNames())

log = logging.getLogger(__name__)


#: How long a session cookie is honoured: Twilio keeps a cookie 4 hours, so a replayed older one
#: is refused too (Flask checks the age signed into the cookie).
SESSION_LIFETIME = timedelta(hours=4)


class CompanionFlask(Flask):
    """Flask whose development server (app.run) uses the safe request handler."""

    def run(self, host=None, port=None, debug=None, load_dotenv=True, **options):
        """Flask's app.run, with companion_app.serving.server.RequestHandler unless told otherwise."""
        from companion_app.serving.server import RequestHandler

        options.setdefault("request_handler", RequestHandler)
        super().run(host=host, port=port, debug=debug, load_dotenv=load_dotenv, **options)

    def log_exception(self, exc_info):
        """A shared store that is down in one line (the 503 says the rest), else Flask's traceback."""
        if isinstance(exc_info[1], StoreUnavailable):
            self.logger.error("%s %s: %s", request.method, request.path, exc_info[1])
            return
        super().log_exception(exc_info)


def create_app(test_config=None):
    """Build the webhook app: safe defaults, then the environment (and .env), then test_config."""
    app = CompanionFlask(__name__)
    app.session_interface = CachedSessionInterface()
    app.config.from_mapping(
        SECRET_KEY=None,
        TWILIO_AUTH_TOKEN=None,
        TWILIO_WEBHOOK_SHARED_KEY=None,
        PUBLIC_URL=None,
        TRUST_PROXY_HEADERS=False,
        CALLERS=dict(DEFAULT_CALLERS),
        ENV_FILE=".env",
        RECENT_REQUESTS=20,
        # RequestGuard applies it to every request, before Flask reads anything. (Flask's own
        # MAX_CONTENT_LENGTH would only repeat the check, through a slower stream wrapper.)
        MAX_BODY_BYTES=MAX_BODY_BYTES,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        # /sms/store: where the pair store lives (SQLite on one machine, redis://… for several),
        # how long a silent pair is remembered, and the clock it uses (None: the system's).
        STORE_URL=DEFAULT_STORE_URL,
        STORE_LIFETIME=SESSION_LIFETIME,
        STORE_CLOCK=None,
        # redis://… (or sqlite:///sessions.db on one machine): server-side sessions, the cookie
        # holds only an id; None: the signed cookie.
        SESSION_STORE_URL=None,
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
    if app.config["SESSION_STORE_URL"]:
        app.session_interface = server_side_sessions(app.config["SESSION_STORE_URL"])
    if app.config["TRUST_PROXY_HEADERS"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)
    app.wsgi_app = RequestGuard(app.wsgi_app, limit=app.config["MAX_BODY_BYTES"])

    app.extensions["recent_requests"] = RecentRequests(app.config["RECENT_REQUESTS"])

    app.register_blueprint(webhook_bp)
    app.register_blueprint(directory_bp)
    return app
