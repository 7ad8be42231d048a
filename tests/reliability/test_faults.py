"""Faults: the counter webhook slow, crashing or answering bad TwiML, as the simulator reports them.

Each test first has two good messages (the cookie holds count 2), then breaks the webhook for one
message, then mends it and sends once more: the count of that last message shows which cookie the
conversation kept. The simulator's documented choices: a failed HTTP exchange (timeout 11205, status
11200) stores no cookie, so the count goes on from 2; a 200 whose TwiML is unusable (12100, 12102,
12300) was a complete HTTP exchange, so its Set-Cookie is kept and the count goes on from 3.
"""

import time

import pytest
from flask import Response
from twilio.request_validator import RequestValidator

from companion_app import create_app
from companion_app.app import counter as counter_webhook
from companion_app.serving.server import LocalServer
from tests.support.values import (
    PUBLIC_URL,
    SENDER,
    TEST_AUTH_TOKEN,
    TWILIO_NUMBER,
    signed_simulator,
)

#: How long the simulator waits here (Twilio waits 15 s; the rule is the same, the test is faster).
SHORT_TIMEOUT = 0.3
#: How long the slow webhook takes: past SHORT_TIMEOUT, far below Twilio's 15 s.
SLOW = 0.6


def nth(count):
    """The counter's reply to the pair's count-th message."""
    return f"Rey has messaged {TWILIO_NUMBER} {count} times."


original_reply_text = counter_webhook.reply_text


def slow_reply_text(*args):
    """The counter's reply, after a pause longer than the simulator waits."""
    time.sleep(SLOW)
    return original_reply_text(*args)


def crash(*args):
    """A bug in the view: Flask answers 500."""
    raise RuntimeError("a bug in the webhook")


def answer(body, mimetype="application/xml"):
    """A stand-in for webhook.twiml that sends `body` whatever the reply was."""
    return lambda response: Response(body, mimetype=mimetype)


FAULTS = {
    # name: (what to patch in companion_app.app.counter, its replacement, code, meaning, count after)
    "crash -> 11200": ("reply_text", crash, 11200, "HTTP retrieval failure", 3),
    "unparsable XML -> 12100": (
        "twiml",
        answer("<Response><Message>oops</Response>"),
        12100,
        "Document parse failure",
        4,
    ),
    "wrong root -> 12102": (
        "twiml",
        answer("<Reply><Message>hi</Message></Reply>"),
        12102,
        "Invalid root element",
        4,
    ),
    "JSON content type -> 12300": (
        "twiml",
        answer('{"message": "hi"}', mimetype="application/json"),
        12300,
        "Invalid Content-Type",
        4,
    ),
}


@pytest.fixture
def signed_app():
    """The counter webhook with signature checks on (as the simulator signs its requests)."""
    return create_app(
        {
            "SECRET_KEY": "test-secret-key",
            "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "PUBLIC_URL": PUBLIC_URL,
            "ENV_FILE": None,
        }
    )


def simulator(target, timeout=SHORT_TIMEOUT):
    """A simulator signing for the public URL, with a short timeout."""
    return signed_simulator(target, timeout=timeout)


def two_good_messages(sim):
    """Start Rey's conversation with two good messages; return it and its cookie."""
    conv = sim.conversation(from_=SENDER, to=TWILIO_NUMBER)
    assert [conv.send("one").reply, conv.send("two").reply] == [
        "Hello Rey, thanks for the message!",
        nth(2),
    ]
    return conv, conv.cookies.get("session")


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_a_broken_reply_is_reported_with_its_code(signed_app, monkeypatch, fault):
    name, replacement, code, meaning, count_after = fault
    conv, cookie_before = two_good_messages(simulator(signed_app))

    with monkeypatch.context() as patch:
        patch.setattr(f"companion_app.app.counter.{name}", replacement)
        delivery = conv.send("three")
    assert (delivery.status, delivery.replies) == ("failed", [])
    assert (delivery.error.code, delivery.error.message) == (code, meaning)

    kept = conv.cookies.get("session") == cookie_before
    assert kept == (count_after == 3)
    assert conv.send("four").reply == nth(count_after)


def test_a_slow_webhook_in_process_is_11205_and_keeps_the_old_cookie(signed_app, monkeypatch):
    conv, cookie_before = two_good_messages(simulator(signed_app))
    with monkeypatch.context() as patch:
        patch.setattr("companion_app.app.counter.reply_text", slow_reply_text)
        delivery = conv.send("three")
    assert (delivery.status, delivery.error.code) == ("failed", 11205)
    assert delivery.error.message == "HTTP connection failure"
    assert conv.cookies.get("session") == cookie_before
    assert conv.send("four").reply == nth(3)


@pytest.mark.slow
def test_a_slow_webhook_over_http_is_11205_and_keeps_the_old_cookie(signed_app, monkeypatch):
    with LocalServer(signed_app) as local:
        conv, cookie_before = two_good_messages(simulator(local.url))
        with monkeypatch.context() as patch:
            patch.setattr("companion_app.app.counter.reply_text", slow_reply_text)
            started = time.monotonic()
            delivery = conv.send("three")
            waited = time.monotonic() - started
        assert (delivery.status, delivery.error.code) == ("failed", 11205)
        assert waited < SLOW  # the simulator gave up; it did not wait for the answer
        time.sleep(SLOW)  # let the abandoned request finish before the server stops
        assert conv.cookies.get("session") == cookie_before
        assert conv.send("four").reply == nth(3)


def test_a_stopped_webhook_is_11205(signed_app):
    local = LocalServer(signed_app)
    sim = simulator(local.url)
    conv, cookie_before = two_good_messages(sim)
    local.stop()
    delivery = conv.send("three")
    assert (delivery.status, delivery.error.code) == ("failed", 11205)
    assert conv.cookies.get("session") == cookie_before


def test_a_crash_sets_a_cookie_that_is_not_kept(signed_app, monkeypatch):
    """Flask saves the session even on a 500: the simulator, like Twilio, must ignore that cookie."""
    monkeypatch.setattr("companion_app.app.counter.reply_text", crash)
    form = {"From": SENDER, "To": TWILIO_NUMBER, "Body": "hi"}
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(f"{PUBLIC_URL}/sms", form)
    crashed = signed_app.test_client().post(
        "/sms", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert crashed.status_code == 500
    assert "session=" in crashed.headers["Set-Cookie"]

    conv = simulator(signed_app).conversation(from_=SENDER, to=TWILIO_NUMBER)
    delivery = conv.send("hi")
    assert (delivery.http_status, delivery.error.code) == (500, 11200)
    assert "session" not in conv.cookies
