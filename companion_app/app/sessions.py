"""Flask's signed-cookie session, with its signing objects built once instead of per request.

(Server-side sessions on Redis, for several hosts, are RedisSessionInterface at the end.)

Flask builds a new URLSafeTimedSerializer for every request (to read the cookie and again to write
it), itsdangerous builds a new signer for every call, and each signer derives its HMAC key from the
secret key again. None of them holds per-request state, so here they are built once per set of keys
and reused: same keys, salt, key derivation, SHA-1 HMAC and max_age, so the same cookies pass and
fail. Flask's default digest is a small Python wrapper around hashlib.sha1 (so that a FIPS build
without SHA-1 fails only when used); hashlib.sha1 itself gives the same digest, and lets the hmac
module use OpenSSL's HMAC instead of its pure-Python fallback.
"""

import hashlib
import json
import re
import secrets
import sqlite3
import threading
import time
import zlib
from contextlib import closing
from urllib.parse import urlsplit

from flask.sessions import SecureCookieSessionInterface, SessionInterface, SessionMixin
from itsdangerous import Serializer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from werkzeug.datastructures import CallbackDict

from companion_app.app.store import REDIS_TIMEOUT, StoreUnavailable

#: zlib's window for a cookie: 4 KB, the most a browser (or Twilio) keeps of one cookie. zlib's
#: default 32 KB window and 128 KB hash table cost more to allocate than the cookie costs to sign.
COOKIE_WBITS = 12
COOKIE_MEMLEVEL = 2


class KeyCachingSigner(TimestampSigner):
    """itsdangerous' TimestampSigner that derives each secret key's HMAC key once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._derived = {}

    def derive_key(self, secret_key=None):
        """The derived key, as TimestampSigner derives it, computed on first use only."""
        derived = self._derived.get(secret_key)
        if derived is None:
            derived = self._derived[secret_key] = super().derive_key(secret_key)
        return derived


class SignerCachingSerializer(URLSafeTimedSerializer):
    """URLSafeTimedSerializer that makes its signer once per salt and compresses with a small window.

    The payload format is itsdangerous' own (JSON, zlib-compressed and marked with a leading "."
    only when that is shorter, then URL-safe base64), so loads() reads it unchanged.
    """

    default_signer = KeyCachingSigner

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._signers = {}

    def make_signer(self, salt=None):
        """The signer for salt (the serializer's own by default), made on first use only."""
        signer = self._signers.get(salt)
        if signer is None:
            signer = self._signers[salt] = super().make_signer(salt)
        return signer

    def dump_payload(self, obj):
        """The payload as itsdangerous' URL-safe serializers write it, compressed in a 4 KB window."""
        json = Serializer.dump_payload(self, obj)
        packer = zlib.compressobj(
            zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, COOKIE_WBITS, COOKIE_MEMLEVEL
        )
        compressed = packer.compress(json) + packer.flush()
        if len(compressed) < len(json) - 1:
            return b"." + base64_encode(compressed)
        return base64_encode(json)


class CachedSessionInterface(SecureCookieSessionInterface):
    """SecureCookieSessionInterface that reuses one serializer while the app's keys stay the same."""

    def __init__(self):
        self._lock = threading.Lock()
        self._cached = None

    def get_signing_serializer(self, app):
        """The app's serializer, rebuilt only when SECRET_KEY or SECRET_KEY_FALLBACKS change."""
        if not app.secret_key:
            return None
        fallbacks = tuple(app.config["SECRET_KEY_FALLBACKS"] or ())
        keys = (app.secret_key, fallbacks)
        cached = self._cached
        if cached is not None and cached[0] == keys:
            return cached[1]
        digest = self.digest_method
        if digest is SecureCookieSessionInterface.digest_method:  # Flask's lazy SHA-1 wrapper
            digest = hashlib.sha1
        serializer = SignerCachingSerializer(
            [*fallbacks, app.secret_key],  # itsdangerous expects the current key last
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": digest},
        )
        with self._lock:
            self._cached = (keys, serializer)
        return serializer


#: A session id as RedisSessionInterface makes them: 32 random bytes, URL-safe base64.
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")


class ServerSideSession(CallbackDict, SessionMixin):
    """A session whose values live in Redis; the cookie carries only `sid`."""

    def __init__(self, initial=None, sid=None, new=False):
        def on_update(self):
            self.modified = True

        super().__init__(initial, on_update)
        self.sid, self.new, self.modified = sid, new, False


class RedisSessionInterface(SessionInterface):
    """Server-side sessions on redis-py: the cookie holds a random id, the state lives in Redis.

    The state is JSON under ``<prefix><id>`` with a Redis expiry of PERMANENT_SESSION_LIFETIME
    (4 hours, as long as Twilio keeps the cookie), renewed by every reply. An id the server did not
    make (unknown, expired or malformed) is never adopted: a new random one is issued, so nobody can
    choose a session id for someone else. When Redis cannot be reached, StoreUnavailable is raised
    and the webhook answers 503.

    The project's own ~60 lines rather than Flask-Session: Flask-Session 0.8 brings msgspec (a
    compiled extension) and cachelib, and stores msgpack that redis-cli cannot show; here the values
    are plain JSON, and a Redis outage is the same StoreUnavailable (and 503) as the pair store's.
    """

    def __init__(self, url, prefix="sms-cookies:session:", client=None):
        import redis  # here: only server-side sessions need redis-py (the production extra)

        self.url, self.prefix = url, prefix
        self._errors = (redis.ConnectionError, redis.TimeoutError)
        self.client = client or redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )

    def _unavailable(self, error):
        where = urlsplit(self.url)
        return StoreUnavailable(
            f"the session store at {where.scheme}://{where.hostname}:{where.port or 6379} is down"
        )

    def load(self, sid):
        """The state stored under a session id (a dict), or None when there is none."""
        try:
            raw = self.client.get(self.prefix + sid)
        except self._errors as error:
            raise self._unavailable(error) from error
        return None if raw is None else json.loads(raw)

    def store(self, sid, state, seconds):
        """Keep state under a session id for `seconds`."""
        try:
            self.client.set(self.prefix + sid, json.dumps(state), ex=seconds)
        except self._errors as error:
            raise self._unavailable(error) from error

    def drop(self, sid):
        """Forget a session."""
        try:
            self.client.delete(self.prefix + sid)
        except self._errors as error:
            raise self._unavailable(error) from error

    def open_session(self, app, request):
        """The session the cookie's id names, or a new one with a new random id."""
        sid = request.cookies.get(self.get_cookie_name(app), "")
        if SESSION_ID.fullmatch(sid):
            state = self.load(sid)
            if state is not None:
                return ServerSideSession(state, sid=sid)
        return ServerSideSession(sid=secrets.token_urlsafe(32), new=True)

    def save_session(self, app, session, response):
        """Write the state back with a fresh 4-hour expiry and send the id in the cookie.

        A failed request (5xx, such as the 503 of a store that is down) saves nothing: the message
        was not handled, and Flask would only call this again on the way out of its error handler.
        """
        if response.status_code >= 500:
            return
        name, domain, path = (
            self.get_cookie_name(app),
            self.get_cookie_domain(app),
            self.get_cookie_path(app),
        )
        if not session:
            if session.modified and not session.new:
                self.drop(session.sid)
                response.delete_cookie(name, domain=domain, path=path)
            return
        if not (session.modified or self.should_set_cookie(app, session)):
            return
        lifetime = app.permanent_session_lifetime
        self.store(session.sid, dict(session), max(1, round(lifetime.total_seconds())))
        response.set_cookie(
            name,
            session.sid,
            expires=self.get_expiration_time(app, session),
            httponly=self.get_cookie_httponly(app),
            domain=domain,
            path=path,
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            partitioned=self.get_cookie_partitioned(app),
        )
        response.vary.add("Cookie")


class SQLiteSessionInterface(RedisSessionInterface):
    """RedisSessionInterface's server-side sessions kept in a SQLite file: one machine's hosts only.

    SESSION_STORE_URL=sqlite:///sessions.db. The same random id in the cookie and the same JSON
    state with the same lifetime, in a table (id, state, expires); for hosts that share a folder,
    or a learner without redis-server. Expired rows are skipped on reading and replaced on writing.
    """

    def __init__(self, url):
        self.url, self.prefix = url, ""
        self.path = url[len("sqlite:///") :]
        if not url.startswith("sqlite:///") or not self.path:
            raise ValueError(
                f"SESSION_STORE_URL {url!r}: write a SQLite file as sqlite:///sessions.db"
            )
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS sessions "
                "(sid TEXT PRIMARY KEY, state TEXT NOT NULL, expires REAL NOT NULL)"
            )

    def _connect(self):
        return sqlite3.connect(self.path, timeout=60, isolation_level=None)

    def load(self, sid):
        """The state stored under a session id (a dict), or None when there is none or it expired."""
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT state FROM sessions WHERE sid = ? AND expires > ?", (sid, time.time())
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def store(self, sid, state, seconds):
        """Keep state under a session id for `seconds`."""
        with closing(self._connect()) as db:
            db.execute(
                "INSERT OR REPLACE INTO sessions VALUES (?, ?, ?)",
                (sid, json.dumps(state), time.time() + seconds),
            )

    def drop(self, sid):
        """Forget a session."""
        with closing(self._connect()) as db:
            db.execute("DELETE FROM sessions WHERE sid = ?", (sid,))


def server_side_sessions(url):
    """The session interface a SESSION_STORE_URL names: redis://… or sqlite:///sessions.db."""
    if url.startswith("sqlite:"):
        return SQLiteSessionInterface(url)
    return RedisSessionInterface(url)
