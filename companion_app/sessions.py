"""Flask's signed-cookie session, with its signing serializer built once instead of per request."""

import threading

from flask.sessions import SecureCookieSessionInterface


class CachedSessionInterface(SecureCookieSessionInterface):
    """SecureCookieSessionInterface that reuses one serializer while the app's keys stay the same.

    Flask builds a new URLSafeTimedSerializer for every request (twice: to read the cookie and to
    write it). The serializer holds no per-request state, so one per set of keys does the same
    checks: same keys, salt, key derivation, digest and max_age.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._cached = None

    def get_signing_serializer(self, app):
        """The app's serializer, rebuilt only when SECRET_KEY or SECRET_KEY_FALLBACKS change."""
        if not app.secret_key:
            return None
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = self._cached
        if cached is not None and cached[0] == keys:
            return cached[1]
        with self._lock:
            serializer = super().get_signing_serializer(app)
            self._cached = (keys, serializer)
        return serializer
