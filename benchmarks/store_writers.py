"""Many worker processes writing to one PairStore at once: exact counts, no "database is locked".

Each writer is a separate process (forked) with its own connection, as gunicorn's workers are. All
writers wait at a barrier, then text the same pair (the worst case: every transaction wants the same
row), each message with its own MessageSid, and re-deliver some of them as Twilio's retries would.
"""

import multiprocessing
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from companion_app.app.store import PairStore
from companion_app.simulator import SystemClock

SENDER, TWILIO_NUMBER = "+14155550100", "+14155550199"


def add_one(state):
    """The counter's change: one more message."""
    return {**state, "counter": state.get("counter", 0) + 1}


def _writer(path, writer, messages, retries, barrier, results):
    errors = []
    try:
        store = PairStore(path, SystemClock(), lifetime=timedelta(hours=8))
        barrier.wait(timeout=120)
        sids = [f"SM{writer:08x}{m:024x}" for m in range(messages)]
        for sid in sids + sids[:retries]:
            store.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid)
    except Exception as error:  # reported, not raised: the parent counts every failure
        errors.append(f"{type(error).__name__}: {error}")
    results.put((writer, errors))


def run_writers(writers, messages=20, retries=5, folder=None):
    """Start `writers` processes at once; return a dict of what happened (counts, errors, seconds)."""
    context = multiprocessing.get_context("fork")
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = Path(tmp) / "conversations.db"
        PairStore(path, SystemClock(), lifetime=timedelta(hours=8))
        barrier = context.Barrier(writers + 1)
        results = context.Queue()
        processes = [
            context.Process(
                target=_writer, args=(path, n, messages, retries, barrier, results), daemon=True
            )
            for n in range(writers)
        ]
        for process in processes:
            process.start()
        barrier.wait(timeout=120)
        started = time.perf_counter()
        reports = [results.get(timeout=300) for _ in processes]
        seconds = time.perf_counter() - started
        for process in processes:
            process.join(timeout=30)
        count = PairStore(path, SystemClock(), lifetime=timedelta(hours=8)).state(
            SENDER, TWILIO_NUMBER
        )
    errors = [error for _, found in reports for error in found]
    return {
        "writers": writers,
        "deliveries": writers * (messages + retries),
        "messages": writers * messages,
        "counted": count.get("counter", 0),
        "errors": errors,
        "locked": sum("locked" in error for error in errors),
        "seconds": seconds,
    }


def measure(sizes=(1, 8, 32, 64, 128, 256), messages=20, retries=5):
    """run_writers for each number of writers; stop at the first size with an error."""
    rows = []
    for writers in sizes:
        result = run_writers(writers, messages, retries)
        rows.append(result)
        if result["errors"] or result["counted"] != result["messages"]:
            break
    return rows


if __name__ == "__main__":
    for row in measure():
        print(
            f"{row['writers']:>4} writers: {row['counted']}/{row['messages']} counted "
            f"({row['deliveries']} deliveries), {len(row['errors'])} errors, "
            f"{row['deliveries'] / row['seconds']:.0f} deliveries/s"
        )
