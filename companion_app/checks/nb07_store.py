"""Notebook 07: a day-long conversation kept in a store on the server."""

import functools
import re
import secrets
import sys
import sysconfig
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from companion_app.checks.cells import judges
from companion_app.checks.sms import TWILIO_NUMBER, reply_of
from companion_app.checks.verdict import (
    app_from,
    call_name,
    is_app,
    not_written,
    raising,
    run_check,
)
from companion_app.inbrowser import IN_BROWSER
from companion_app.simulator import FakeClock, TwilioSimulator
from companion_app.teaching.verify import AUTH_TOKEN

STORE_SENDER, STORE_OTHER_NUMBER = "+14155557000", "+14155550198"
STORE_OTHER_SENDER = "+14155557001"
STORE_WEBHOOK_URL = "https://example.ngrok.app/sms"
#: The number the concurrent messages go to (a pair of their own, starting from nothing).
BUSY_NUMBER = "+14155550197"
#: Messages delivered at the same time: THREADS threads, each sending PER_THREAD of them.
THREADS, PER_THREAD = 8, 25


def _simulator(app, clock):
    """Twilio in front of one app, with MessageSids no other simulator (or app) has seen."""
    return TwilioSimulator(
        app,
        webhook_url=STORE_WEBHOOK_URL,
        auth_token=AUTH_TOKEN,
        clock=clock,
        seed=secrets.randbits(64),
    )


#: Where code that is not the learner's lives: Python's own library, installed packages, this package.
NOT_THE_LEARNERS = tuple(
    {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
) + (str(Path(__file__).resolve().parents[1]),)


@functools.lru_cache(maxsize=256)
def _learners(filename):
    """True for code the learner wrote (a notebook cell or a file of theirs)."""
    return not filename.startswith(NOT_THE_LEARNERS) and not filename.startswith("<frozen")


def _yield_between_lines(frame, event, arg):
    """In the learner's code, let another thread run before every line (as a busy server may):
    a read and a write on two lines with nothing holding the others off are then interleaved."""
    if event == "call" and _learners(frame.f_code.co_filename):
        return _yield_on_line
    return None


def _yield_on_line(frame, event, arg):
    if event == "line":
        time.sleep(0)
    return _yield_on_line


@contextmanager
def _switching_often():
    """Threads switch every few microseconds and between any two lines of the learner's code."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    threading.settrace(_yield_between_lines)
    try:
        yield
    finally:
        threading.settrace(None)
        sys.setswitchinterval(before)


def _at_once(app, clock):
    """Counts of THREADS x PER_THREAD messages of one new pair delivered by real threads at once."""
    start = threading.Barrier(1 if IN_BROWSER else THREADS)
    counts, errors = [], []

    def phone():
        conv = _simulator(app, clock).conversation(from_=STORE_SENDER, to=BUSY_NUMBER)
        start.wait()
        for n in range(PER_THREAD):
            got = reply_of(conv.send(f"busy {n}"))
            found = re.search(r"(\d+) times", got)
            if found:
                counts.append(int(found.group(1)))
            elif got.startswith("Hello"):
                counts.append(1)
            else:
                errors.append(got)

    if IN_BROWSER:  # no threads in Pyodide: the phones take turns, which finds no lost update
        for _ in range(THREADS):
            phone()
        return counts, errors
    threads = [threading.Thread(target=phone) for _ in range(THREADS)]
    with _switching_often():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return counts, errors


def _call_name(make_app):
    """How the learner's function reads in a hint: its own name, or the exercise's for a lambda."""
    return call_name(make_app, "make_day_app")


def _made(title, make_app, clock):
    """(app, None) from make_app(clock), or (None, a failed Verdict saying what went wrong)."""
    return app_from(title, make_app, clock, f"{_call_name(make_app)}(clock)")


@judges("make_day_app")
def check_day_long_store(make_app):
    """Notebook 07: make_day_app(clock) keeps each pair's count on the server for 24 hours of silence."""
    title = "A day-long conversation on the server"
    missing = not_written(
        title,
        "make_day_app",
        make_app,
        "a function make_day_app(clock) that returns a new app",
        lambda answer: callable(answer) and not is_app(answer),
    )
    if missing is not None:
        return missing
    clock = FakeClock()
    app, failed = _made(title, make_app, clock)
    if failed is not None:
        return failed
    call = f"{_call_name(make_app)}(clock)"
    verdict = run_check(title, app, lambda verdict, app: _day_long(verdict, app, clock, call))
    if verdict:
        _apps_of_their_own(verdict, title, make_app, app, clock, call)
    return verdict


def _apps_of_their_own(verdict, title, make_app, first, first_clock, call):
    """Two more apps from make_app, each with a clock of its own (the second 10 days ahead): each
    starts empty, and the first app's count goes on as if they did not exist."""
    name = _call_name(make_app)
    before = reply_of(
        _simulator(first, first_clock).conversation(STORE_SENDER, TWILIO_NUMBER).send("before")
    )
    counted = re.search(r"(\d+) times", before)
    expected = int(counted.group(1)) + 1 if counted else 2
    for ahead in (0, 240):
        clock = FakeClock()
        clock.advance(hours=ahead)
        other, failed = _made(title, make_app, clock)
        if failed is not None:
            verdict.fail(failed.failed[0])
            return
        with raising(other):
            got = reply_of(
                _simulator(other, clock).conversation(STORE_SENDER, TWILIO_NUMBER).send("new app")
            )
        if not verdict.expect(
            got.startswith("Hello"),
            f"another app from {call} starts with an empty store of its own",
            f"another app from {call} answered {got!r} to its very first message: create the "
            f"store inside {name}, so each app gets a new one",
        ):
            return
    with raising(first):
        got = reply_of(
            _simulator(first, first_clock)
            .conversation(STORE_SENDER, TWILIO_NUMBER)
            .send("still me")
        )
    verdict.expect(
        f"{expected} times" in got,
        f"the first app counts on ({expected} times) after two more apps were made, one with a "
        "clock 10 days ahead",
        f"after two more apps were made (one with a clock 10 days ahead), the first app answered "
        f"{got!r} where it had counted {expected - 1}: keep the store and the clock each call of "
        f"{name} gets inside that app (not in a variable every app shares)",
    )


def _day_long(verdict, app, clock, call):
    sim = _simulator(app, clock)
    conv = sim.conversation(from_=STORE_SENDER, to=TWILIO_NUMBER)
    replies = [reply_of(conv.send(text)) for text in ("one", "two", "three")]
    if not verdict.expect(
        "3 times" in replies[-1],
        "it counts: the third message says 3 times",
        f"the third message got {replies[-1]!r}: count each pair's messages (a new app and store "
        f"for every call of {call})",
    ):
        return
    clock.advance(hours=5)
    got = reply_of(conv.send("five hours later"))
    verdict.expect(
        "4 times" in got,
        "after 5 hours of silence the count goes on (4 times): it lives on the server",
        f"after 5 hours the reply was {got!r}: Twilio dropped the cookie, so keep the count in the "
        "store, keyed by (From, To)",
    )
    total = THREADS * PER_THREAD
    counts, errors = _at_once(app, clock)
    how = (
        "one after another (Python in the browser has no threads: run this check in a real Python "
        "to deliver them at once)"
        if IN_BROWSER
        else f"at once by {THREADS} threads"
    )
    lost = total - len(set(counts))
    verdict.expect(
        not errors and sorted(counts) == list(range(1, total + 1)),
        f"{total} messages of a new pair delivered {how} are counted 1 to {total}, each once: no "
        "lost update",
        f"{total} messages of a new pair delivered {how} were counted up to "
        f"{max(counts, default=0)}, with {lost} counts missing"
        + (f" and {len(errors)} errors (the first: {errors[0]!r})" if errors else "")
        + ": read, add one and write back in one step on the server (one transaction, "
        "BEGIN IMMEDIATE in SQLite, or a lock around it)",
    )
    got = reply_of(sim.conversation(from_=STORE_SENDER, to=STORE_OTHER_NUMBER).send("hi"))
    other_phone = reply_of(sim.conversation(from_=STORE_OTHER_SENDER, to=TWILIO_NUMBER).send("hi"))
    verdict.expect(
        got.startswith("Hello") and other_phone.startswith("Hello"),
        "the same phone texting another of your numbers starts its own count, and so does "
        "another phone texting this number",
        f"the same phone texting another number got {got!r} and another phone texting this "
        f"number got {other_phone!r}: key the store by both From and To",
    )
    clock.advance(hours=23, minutes=59)
    got = reply_of(conv.send("almost a day"))
    counted = re.search(r"(\d+) times", got)
    verdict.expect(
        counted is not None,
        f"23 h 59 min after the last message it still counts ({counted and counted.group(1)} "
        "times)",
        f"23 h 59 min later the reply was {got!r}: keep a conversation for 24 hours after its "
        "last message",
    )
    clock.advance(hours=24, minutes=1)
    got = reply_of(conv.send("a day and a bit"))
    verdict.expect(
        got.startswith("Hello"),
        "24 h 1 min after the last message the conversation starts over",
        f"24 h 1 min later the reply was {got!r}: forget a pair 24 hours after its last message "
        "(each message renews the expiry), using the clock you were given",
    )
