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
"""

import json
import sqlite3
from contextlib import closing

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
