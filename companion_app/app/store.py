"""Conversation state kept on the server: a SQLite store keyed by the (From, To) pair.

The cookie is dropped after 4 hours, holds about 4 KB, loses an update when two messages of a pair
arrive at once, and can be read by Twilio. ``PairStore`` has none of these limits:

- one row per pair, holding a JSON state and the time it expires (its own lifetime, on its clock);
- one ``BEGIN IMMEDIATE`` transaction per message: read, change and write back with no other writer
  in between, so two messages at once are both counted;
- idempotent per ``MessageSid``: Twilio retries a webhook whose connection failed (once by default,
  up to five times with connection overrides) with the **same** MessageSid. The store records each
  SID it applied in the same transaction as the change, so a retry gets the state the first
  delivery made and is not counted twice, whether the first delivery died before or after its
  commit;
- safe under many worker processes: WAL journal (readers never wait for the writer) and a busy
  timeout (a writer waits its turn instead of failing with "database is locked").

A SQLite file serves one machine. ``RedisPairStore`` keeps the same promises for several machines
sharing one Redis, and ``open_store(url, ...)`` picks one of the two from the ``STORE_URL`` setting
(``sqlite:///conversations.db``, the default, or ``redis://host:6379/0``).
"""

import json
import sqlite3
from contextlib import closing
from urllib.parse import urlsplit

#: The store a webhook uses when STORE_URL is not set: a SQLite file in the working folder.
DEFAULT_STORE_URL = "sqlite:///conversations.db"

#: Seconds a Redis command may take (and a connection may take to open) before the store gives up.
REDIS_TIMEOUT = 2

#: Seconds a writer waits for the lock before SQLite gives up ("database is locked").
BUSY_TIMEOUT = 60

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS conversations (from_ TEXT NOT NULL, to_ TEXT NOT NULL, "
    "state TEXT NOT NULL, expires REAL NOT NULL, PRIMARY KEY (from_, to_))",
    "CREATE TABLE IF NOT EXISTS messages (sid TEXT PRIMARY KEY, state TEXT NOT NULL, "
    "expires REAL NOT NULL)",
)


class PairStore:
    """Conversation state per (From, To) pair in SQLite, forgotten after `lifetime` of silence."""

    def __init__(self, path, clock, lifetime, timeout=BUSY_TIMEOUT):
        self.path, self.clock, self.lifetime, self.timeout = path, clock, lifetime, timeout
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")  # stays set in the file for every connection
            for statement in SCHEMA:
                db.execute(statement)

    def _connect(self):
        db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        db.execute("PRAGMA synchronous=NORMAL")  # in WAL mode: durable across a killed process
        return db

    def update(self, from_, to, change, message_sid=None):
        """Apply change(state) -> new state to the pair's state, in one transaction; return it.

        With message_sid, a message already applied is not applied again: its first result is
        returned (a retry by Twilio carries the same MessageSid).
        """
        now = self.clock.now().timestamp()
        expires = now + self.lifetime.total_seconds()
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                if message_sid is not None:
                    done = db.execute(
                        "SELECT state FROM messages WHERE sid = ?", (message_sid,)
                    ).fetchone()
                    if done:
                        db.execute("ROLLBACK")
                        return json.loads(done[0])
                row = db.execute(
                    "SELECT state FROM conversations WHERE from_ = ? AND to_ = ? AND expires > ?",
                    (from_, to, now),
                ).fetchone()
                state = change(json.loads(row[0]) if row else {})
                text = json.dumps(state)
                db.execute(
                    "INSERT OR REPLACE INTO conversations VALUES (?, ?, ?, ?)",
                    (from_, to, text, expires),
                )
                if message_sid is not None:
                    db.execute(
                        "INSERT INTO messages VALUES (?, ?, ?)", (message_sid, text, expires)
                    )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        return state

    def state(self, from_, to):
        """The pair's current state ({} when it has none or it expired)."""
        now = self.clock.now().timestamp()
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT state FROM conversations WHERE from_ = ? AND to_ = ? AND expires > ?",
                (from_, to, now),
            ).fetchone()
        return json.loads(row[0]) if row else {}

    def forget_expired(self):
        """Delete expired conversations and message records (a periodic job); return how many."""
        now = self.clock.now().timestamp()
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            deleted = db.execute("DELETE FROM conversations WHERE expires <= ?", (now,)).rowcount
            deleted += db.execute("DELETE FROM messages WHERE expires <= ?", (now,)).rowcount
            db.execute("COMMIT")
        return deleted


class StoreUnavailable(RuntimeError):
    """The shared store cannot be reached: nothing was changed, and the webhook answers 503."""


class RedisPairStore:
    """PairStore's promises on a Redis that several machines share.

    Keys: ``<prefix>pair:<From>:<To>`` holds the pair's state and ``<prefix>message:<MessageSid>``
    the state that message made. Each value is JSON with the time it expires on the store's clock
    (so tests and notebooks can move time) and each key also carries a Redis expiry (``EX``) of the
    lifetime, so Redis deletes what is forgotten by itself and no periodic job is needed.

    Count and record are atomic with WATCH/MULTI (optimistic locking), not a Lua script: ``change``
    is any Python function (the counter, notebook 06's steps), and a Lua script could only run
    logic rewritten in Lua. WATCH makes EXEC fail when another host wrote the pair or recorded the
    message in between; the update then runs again on what that host wrote. One pair's messages
    rarely arrive at the same moment, so a retry of the loop is rare. The message record is written
    with ``SET NX`` as well, so it can never overwrite a record another host made.

    When Redis cannot be reached, update() and state() raise StoreUnavailable.
    """

    def __init__(self, url, clock, lifetime, prefix="sms-cookies:", client=None):
        import redis  # here: only a Redis store needs redis-py (the production extra)

        self.url, self.clock, self.lifetime, self.prefix = url, clock, lifetime, prefix
        self._errors = (redis.ConnectionError, redis.TimeoutError)
        self._conflict = redis.WatchError
        self.client = client or redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )

    def _pair_key(self, from_, to):
        return f"{self.prefix}pair:{from_}:{to}"

    def _message_key(self, message_sid):
        return f"{self.prefix}message:{message_sid}"

    def _live(self, raw, now):
        """The state in a stored value, or None when there is none or it expired."""
        if raw is None:
            return None
        value = json.loads(raw)
        return value["state"] if value["expires"] > now else None

    def update(self, from_, to, change, message_sid=None):
        """Apply change(state) -> new state to the pair's state atomically; return it.

        With message_sid, a message already applied (on any host) is not applied again: its first
        result is returned.
        """
        pair_key = self._pair_key(from_, to)
        keys = [pair_key]
        if message_sid is not None:
            keys.append(self._message_key(message_sid))
        try:
            with self.client.pipeline() as pipe:
                while True:
                    now = self.clock.now().timestamp()
                    expires = now + self.lifetime.total_seconds()
                    try:
                        pipe.watch(*keys)
                        if message_sid is not None:
                            done = self._live(pipe.get(keys[1]), now)
                            if done is not None:
                                pipe.unwatch()
                                return done
                        state = change(self._live(pipe.get(pair_key), now) or {})
                        value = json.dumps({"state": state, "expires": expires})
                        seconds = max(1, round(self.lifetime.total_seconds()))
                        pipe.multi()
                        pipe.set(pair_key, value, ex=seconds)
                        if message_sid is not None:
                            pipe.set(keys[1], value, ex=seconds, nx=True)
                        pipe.execute()
                        return state
                    except self._conflict:
                        continue  # another host changed the pair or recorded the message
        except self._errors as error:
            raise StoreUnavailable(f"the conversation store at {self.where()} is down") from error

    def state(self, from_, to):
        """The pair's current state ({} when it has none or it expired)."""
        try:
            raw = self.client.get(self._pair_key(from_, to))
        except self._errors as error:
            raise StoreUnavailable(f"the conversation store at {self.where()} is down") from error
        return self._live(raw, self.clock.now().timestamp()) or {}

    def forget_expired(self):
        """Nothing to do: Redis deletes expired keys itself (each key has an EX). Return 0."""
        return 0

    def where(self):
        """The store's address without a password: redis://host:port/db."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"


def open_store(url, clock, lifetime):
    """The store a STORE_URL names: sqlite:///relative.db, sqlite:////absolute.db or redis://…"""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError(
                f"STORE_URL {url!r}: write a SQLite file as sqlite:///conversations.db"
            )
        return PairStore(path, clock, lifetime)
    if scheme in ("redis", "rediss", "unix"):
        return RedisPairStore(url, clock, lifetime)
    raise ValueError(
        f"STORE_URL {url!r}: use sqlite:///conversations.db (one machine) or "
        "redis://127.0.0.1:6379/0 (several machines)"
    )


def describe_store(url):
    """Where a STORE_URL keeps conversations, in words and without a password (ValueError if unusable)."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite" and url.startswith("sqlite:///") and url[len("sqlite:///") :]:
        return f"the SQLite file {url[len('sqlite:///') :]} (this machine only)"
    if scheme in ("redis", "rediss", "unix"):
        parts = urlsplit(url)
        shown = (
            f"{scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"
        )
        return f"Redis at {shown} (shared by every host that uses it)"
    open_store(url, None, None)  # raises the ValueError that says what to write
    raise AssertionError("unreachable")  # pragma: no cover
