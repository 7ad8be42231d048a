"""Notebook 07, Exercise 1, a day-long conversation on the server: make_day_app."""

import json
import sqlite3
import tempfile
import threading
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import Flask, request

from tests.answer_bank import right, twiml, wrong
from tests.support.answers import counter as cookie_counter

CHECK = "check_day_long_store"
DAY = timedelta(hours=24)
SHARED = {}


def dict_store(clock, lifetime=DAY, key=lambda f: (f["From"], f["To"]), rows=None, renew=True):
    """A counter keeping {key: (count, expires)} on the server, forgetting after lifetime."""
    app = Flask("day_app")
    rows = {} if rows is None else rows
    lock = threading.Lock()

    @app.route("/sms", methods=["POST"])
    def count():
        now = clock.now()
        with lock:
            n, expires = rows.get(key(request.form), (0, now))
            n = n + 1 if lifetime is None or expires > now else 1
            if renew or n == 1:
                expires = now + (lifetime or timedelta(0))
            rows[key(request.form)] = (n, expires)
        return twiml("Hello, thanks for the message!" if n == 1 else f"You messaged {n} times.")

    return app


class WallClock:
    """The real time, ignoring the clock the check gives."""

    def now(self):
        """Now, from the computer's clock."""
        return datetime.now(timezone.utc)


FOLDERS = []


def sqlite_store(clock):
    """The notebook's answer: a SQLite table of (From, To, count, expires) in a new folder."""
    FOLDERS.append(tempfile.TemporaryDirectory())
    path = Path(FOLDERS[-1].name) / "day.db"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "CREATE TABLE pairs (from_ TEXT, to_ TEXT, state TEXT, expires REAL, "
            "PRIMARY KEY (from_, to_))"
        )
    app = Flask("store_counter")

    @app.route("/sms", methods=["GET", "POST"])
    def count_in_store():
        from_, to = request.values["From"], request.values["To"]
        now = clock.now().timestamp()
        with closing(sqlite3.connect(path, isolation_level=None)) as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute(
                "SELECT state FROM pairs WHERE from_ = ? AND to_ = ? AND expires > ?",
                (from_, to, now),
            ).fetchone()
            count = (json.loads(row[0])["counter"] if row else 0) + 1
            db.execute(
                "INSERT OR REPLACE INTO pairs VALUES (?, ?, ?, ?)",
                (from_, to, json.dumps({"counter": count}), now + DAY.total_seconds()),
            )
            db.execute("COMMIT")
        return twiml("Hello, thanks!" if count == 1 else f"You messaged {count} times.")

    return app


def raises(clock):
    """make_day_app that fails."""
    raise ValueError("no store yet")


ANSWERS = [
    right(CHECK, "the notebook's answer (SQLite)", lambda: (sqlite_store,)),
    right(CHECK, "a dict with a lock", lambda: (dict_store,)),
    wrong(CHECK, "not written yet", lambda: (None,), "`make_day_app` is not written yet"),
    wrong(
        CHECK,
        "the cookie counter",
        lambda: (lambda clock: cookie_counter(),),
        "Twilio dropped the cookie",
    ),
    wrong(
        CHECK,
        "never forgets",
        lambda: (lambda clock: dict_store(clock, lifetime=None),),
        "forget a pair 24 hours after its last message",
    ),
    wrong(
        CHECK,
        "forgets after 4 hours",
        lambda: (lambda clock: dict_store(clock, lifetime=timedelta(hours=4)),),
        "after 5 hours the reply was",
    ),
    wrong(
        CHECK,
        "24 hours from the first message",
        lambda: (lambda clock: dict_store(clock, renew=False),),
        "keep a conversation for 24 hours after its last message",
    ),
    wrong(
        CHECK,
        "keyed by the sender only",
        lambda: (lambda clock: dict_store(clock, key=lambda f: f["From"]),),
        "key the store by both From and To",
    ),
    wrong(
        CHECK,
        "keyed by the number only",
        lambda: (lambda clock: dict_store(clock, key=lambda f: f["To"]),),
        "key the store by both From and To",
    ),
    wrong(
        CHECK,
        "the computer's clock",
        lambda: (lambda clock: dict_store(WallClock()),),
        "using the clock you were given",
    ),
    wrong(
        CHECK,
        "one store shared by every app",
        lambda: (lambda clock: dict_store(clock, rows=SHARED),),
        "create the store inside make_day_app, so each app gets a new one",
    ),
    wrong(
        CHECK,
        "an app, not a function that makes one",
        lambda: (dict_store(WallClock()),),
        "`make_day_app` should be a function make_day_app(clock)",
    ),
    wrong(
        CHECK,
        "make_day_app raises",
        lambda: (raises,),
        "raises(clock) raised ValueError: no store yet",
    ),
    wrong(
        CHECK,
        "make_day_app returns nothing",
        lambda: (lambda clock: None,),
        "make_day_app(clock) returned a NoneType: return the Flask app",
    ),
]


def sqlite_pairs(clock, path, transaction=True, once_per_sid=False):
    """A SQLite counter at path: one BEGIN IMMEDIATE transaction per message (or a read, then a
    write, in autocommit), and with once_per_sid a retried MessageSid is counted once."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS pairs (from_ TEXT, to_ TEXT, n INTEGER, expires REAL, "
            "PRIMARY KEY (from_, to_))"
        )
        db.execute("CREATE TABLE IF NOT EXISTS seen (sid TEXT PRIMARY KEY, n INTEGER)")
    app = Flask("sqlite_pairs")

    @app.route("/sms", methods=["POST"])
    def count():
        from_, to, sid = request.form["From"], request.form["To"], request.form["MessageSid"]
        now = clock.now().timestamp()
        with closing(sqlite3.connect(path, isolation_level=None, timeout=30)) as db:
            if transaction:
                db.execute("BEGIN IMMEDIATE")
            done = db.execute("SELECT n FROM seen WHERE sid = ?", (sid,)).fetchone()
            if once_per_sid and done:
                n = done[0]
            else:
                row = db.execute(
                    "SELECT n FROM pairs WHERE from_ = ? AND to_ = ? AND expires > ?",
                    (from_, to, now),
                ).fetchone()
                n = (row[0] if row else 0) + 1
                db.execute(
                    "INSERT OR REPLACE INTO pairs VALUES (?, ?, ?, ?)",
                    (from_, to, n, now + DAY.total_seconds()),
                )
                db.execute("INSERT OR REPLACE INTO seen VALUES (?, ?)", (sid, n))
            if transaction:
                db.execute("COMMIT")
        return twiml("Hello, thanks!" if n == 1 else f"You messaged {n} times.")

    return app


def new_sqlite_file():
    """A path in a new temporary folder."""
    FOLDERS.append(tempfile.TemporaryDirectory())
    return Path(FOLDERS[-1].name) / "pairs.db"


SHARED_FILE = []


def shared_sqlite_file():
    """One path for every app (made once)."""
    if not SHARED_FILE:
        SHARED_FILE.append(new_sqlite_file())
    return SHARED_FILE[0]


CLEARED = {}


def clears_a_shared_dict(clock):
    """Every call empties one module-level dict and hands it to the new app."""
    CLEARED.clear()
    return dict_store(clock, rows=CLEARED)


LATEST = {}


def keeps_the_latest_clock(clock):
    """Every app reads the clock of the latest call, kept in a module-level dict."""
    LATEST["clock"] = clock

    class Latest:
        def now(self):
            return LATEST["clock"].now()

    return dict_store(Latest())


ANSWERS += [
    right(
        CHECK,
        "SQLite, one transaction, each MessageSid counted once",
        lambda: (lambda clock: sqlite_pairs(clock, new_sqlite_file(), once_per_sid=True),),
    ),
    right(
        CHECK,
        "SQLite, one transaction per message",
        lambda: (lambda clock: sqlite_pairs(clock, new_sqlite_file()),),
    ),
    wrong(
        CHECK,
        "SQLite read, then write, without a transaction",
        lambda: (lambda clock: sqlite_pairs(clock, new_sqlite_file(), transaction=False),),
        "read, add one and write back in one step on the server",
    ),
    wrong(
        CHECK,
        "one SQLite file for every app, each MessageSid counted once",
        lambda: (lambda clock: sqlite_pairs(clock, shared_sqlite_file(), once_per_sid=True),),
        "create the store inside",
    ),
    wrong(
        CHECK,
        "one dict for every app, emptied by each call",
        lambda: (clears_a_shared_dict,),
        "not in a variable every app shares",
    ),
    wrong(
        CHECK,
        "the latest call's clock for every app",
        lambda: (keeps_the_latest_clock,),
        "not in a variable every app shares",
    ),
]
