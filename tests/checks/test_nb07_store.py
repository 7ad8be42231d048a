"""Notebook 07's self-check: a counter kept on the server per (From, To) pair, forgotten after 24 hours."""

import threading
from datetime import timedelta

from flask import Flask, request

from companion_app import checks
from tests.support.answers import counter, lines, twiml

DAY = timedelta(hours=24)


def store_counter(clock, lifetime=DAY, by_sender_only=False):
    """A counter keeping {pair: (count, expires)} in a locked dict; lifetime None never forgets."""
    app = Flask("store_counter")
    rows, lock = {}, threading.Lock()

    @app.route("/sms", methods=["POST"])
    def count():
        now = clock.now()
        key = request.form["From"] if by_sender_only else (request.form["From"], request.form["To"])
        with lock:  # messages arrive on several threads at once: read and write in one step
            n, expires = rows.get(key, (0, now))
            n = n + 1 if lifetime is None or expires > now else 1
            rows[key] = (n, now + (lifetime or timedelta(0)))
        return twiml("Hello, thanks for the message!" if n == 1 else f"You messaged {n} times.")

    return app


def test_a_day_long_server_side_store_passes():
    verdict = checks.check_day_long_store(store_counter)
    assert verdict, repr(verdict)
    assert len(verdict.passed) == 9


def test_the_cookie_counter_loses_the_count_after_four_hours_and_at_once():
    verdict = checks.check_day_long_store(lambda clock: counter())
    assert not verdict
    report = "\n".join(lines(verdict))
    assert "Twilio dropped the cookie" in report
    assert "read, add one and write back in one step" in report


def test_a_store_that_never_forgets_is_caught():
    verdict = checks.check_day_long_store(lambda clock: store_counter(clock, lifetime=None))
    assert lines(verdict)[-1].startswith("  ✘ 24 h 1 min later")


def test_a_store_that_forgets_too_soon_is_caught():
    verdict = checks.check_day_long_store(
        lambda clock: store_counter(clock, lifetime=timedelta(hours=4))
    )
    assert "after 5 hours the reply was" in repr(verdict)


def test_a_store_keyed_by_the_sender_only_is_caught():
    verdict = checks.check_day_long_store(lambda clock: store_counter(clock, by_sender_only=True))
    assert not verdict
    assert "key the store by both From and To" in repr(verdict)


def test_make_app_that_raises_is_reported_in_words():
    def broken(clock):
        raise ValueError("no store yet")

    verdict = checks.check_day_long_store(broken)
    assert not verdict
    assert "broken(clock) raised ValueError: no store yet" in repr(verdict)


def test_in_the_browser_the_phones_take_turns_and_say_so(capsys, monkeypatch):
    """Pyodide has no threads: a right store passes, and the line says the messages took turns."""
    monkeypatch.setattr("companion_app.checks.nb07_store.IN_BROWSER", True)
    started = []
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self))
    verdict = checks.check_day_long_store(store_counter)
    out = capsys.readouterr().out + repr(verdict)
    assert started == []
    assert "delivered one after another (Python in the browser has no threads" in out
    assert verdict, out
