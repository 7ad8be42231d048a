"""PairStore: state per (From, To) on the server, its own expiry, one count per MessageSid."""

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from benchmarks.store_writers import run_writers
from companion_app.app.store import PairStore
from companion_app.simulator import FakeClock

SENDER, OTHER, TWILIO_NUMBER = "+14155550100", "+14155550101", "+14155550199"
ROOT = Path(__file__).resolve().parents[2]


def add_one(state):
    """The counter's change."""
    return {**state, "counter": state.get("counter", 0) + 1}


def sid(n):
    """A MessageSid as Twilio writes one: SM and 32 hexadecimal digits."""
    return f"SM{n:032x}"


@pytest.fixture
def clock():
    """A clock that moves only when told."""
    return FakeClock()


@pytest.fixture
def store(tmp_path, clock):
    """A store in a temporary folder that forgets a pair after 8 hours of silence."""
    return PairStore(tmp_path / "conversations.db", clock, lifetime=timedelta(hours=8))


def count(store, from_=SENDER, to=TWILIO_NUMBER):
    """The pair's stored count (0 when none)."""
    return store.state(from_, to).get("counter", 0)


def test_each_pair_has_its_own_count(store):
    for _ in range(3):
        store.update(SENDER, TWILIO_NUMBER, add_one)
    store.update(OTHER, TWILIO_NUMBER, add_one)
    store.update(SENDER, OTHER, add_one)
    assert (count(store), count(store, OTHER), count(store, SENDER, OTHER)) == (3, 1, 1)


@pytest.mark.parametrize(
    ("silence", "expected"),
    [
        (timedelta(hours=5), 3),
        (timedelta(hours=8) - timedelta(seconds=1), 3),
        (timedelta(hours=8), 1),
    ],
    ids=["5h", "just-under-8h", "8h"],
)
def test_the_store_forgets_a_pair_after_its_lifetime_of_silence(store, clock, silence, expected):
    store.update(SENDER, TWILIO_NUMBER, add_one)
    store.update(SENDER, TWILIO_NUMBER, add_one)
    clock.advance(seconds=silence.total_seconds())
    assert store.update(SENDER, TWILIO_NUMBER, add_one) == {"counter": expected}


def test_a_retry_with_the_same_message_sid_is_not_counted_twice(store):
    assert store.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(1)) == {"counter": 1}
    assert store.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(2)) == {"counter": 2}
    # Twilio's retry of the first message gets what the first delivery got.
    assert store.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(1)) == {"counter": 1}
    assert store.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(3)) == {"counter": 3}
    assert count(store) == 3


def test_a_change_that_fails_changes_nothing(store):
    store.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(1))

    def broken(state):
        raise RuntimeError("the webhook crashed")

    with pytest.raises(RuntimeError):
        store.update(SENDER, TWILIO_NUMBER, broken, message_sid=sid(2))
    assert store.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(2)) == {"counter": 2}


def test_expired_rows_are_deleted_by_the_periodic_job(store, clock):
    store.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(1))
    assert store.forget_expired() == 0
    clock.advance(hours=9)
    assert store.forget_expired() == 2  # the conversation and its message record


def test_threads_texting_at_once_are_all_counted(store):
    def text(n):
        for m in range(20):
            store.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(n * 100 + m))

    threads = [threading.Thread(target=text, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert count(store) == 160


fork_only = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs fork (Linux, macOS)"
)


@pytest.mark.slow
@fork_only
def test_many_worker_processes_at_once_count_exactly_and_never_lock(tmp_path):
    result = run_writers(64, messages=10, retries=3, folder=tmp_path)
    assert result["errors"] == []
    assert result["counted"] == result["messages"] == 640  # 832 deliveries, 192 of them retries


@pytest.mark.slow
@fork_only
def test_the_same_message_delivered_by_many_processes_at_once_counts_once(tmp_path, clock):
    path = tmp_path / "conversations.db"
    PairStore(path, clock, lifetime=timedelta(hours=8))
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(16)

    def deliver():
        store = PairStore(path, clock, lifetime=timedelta(hours=8))
        barrier.wait(timeout=60)
        store.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(7))

    processes = [context.Process(target=deliver) for _ in range(16)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [process.exitcode for process in processes] == [0] * 16
    assert count(PairStore(path, clock, lifetime=timedelta(hours=8))) == 1


# --- A real process killed mid-request, then Twilio's retry ------------------------------------


def start_server(db_path, pause_file, pause_at):
    """tests/support/store_server.py in its own process; return (process, port)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.store_server",
            str(db_path),
            str(pause_file),
            pause_at,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    port = int(process.stdout.readline())
    return process, port


def deliver(port, body, message_sid, timeout=10):
    """One webhook POST as Twilio sends it; return the reply text."""
    form = {"From": SENDER, "To": TWILIO_NUMBER, "Body": body, "MessageSid": message_sid}
    response = requests.post(
        f"http://127.0.0.1:{port}/sms",
        data=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=timeout,
    )
    return response.text


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
@pytest.mark.parametrize("pause_at", ["in-transaction", "after-commit"])
def test_a_worker_killed_mid_request_and_twilios_retry_count_once(tmp_path, pause_at):
    db_path, pause_file = tmp_path / "conversations.db", tmp_path / "paused"
    first, port = start_server(db_path, pause_file, pause_at)
    try:
        assert "count 1" in deliver(port, "hello", sid(1))
        failed = {}

        def first_delivery():
            try:
                deliver(port, "pause", sid(2))
            except requests.RequestException as error:
                failed["error"] = error

        delivery = threading.Thread(target=first_delivery)
        delivery.start()
        deadline = time.monotonic() + 20
        while not pause_file.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pause_file.exists()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        delivery.join(timeout=10)
        assert "error" in failed  # Twilio saw the connection fail: it retries the same MessageSid
    finally:
        first.kill()
        first.wait(timeout=10)

    second, port = start_server(db_path, tmp_path / "unused", "never")
    try:
        assert "count 2" in deliver(port, "pause", sid(2))  # the retry
        assert "count 2" in deliver(port, "pause", sid(2))  # a second retry
        assert "count 3" in deliver(port, "next", sid(3))
    finally:
        second.kill()
        second.wait(timeout=10)
    assert count(PairStore(db_path, FakeClock(), lifetime=timedelta(days=9999))) == 3
