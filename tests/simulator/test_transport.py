"""The simulator over real HTTP: a base URL served by LocalServer on a loopback port."""

import socket
import time

import pytest
from flask import Flask, Response, request

from companion_app.serving.server import LocalServer
from companion_app.simulator import FakeClock, TwilioSimulator
from tests.support.values import PUBLIC_URL, SENDER, TEST_AUTH_TOKEN, TWILIO_NUMBER


@pytest.fixture
def served_counter(signed_app):
    """The signed counter webhook on a real local port."""
    with LocalServer(signed_app) as server:
        yield server


def test_the_counter_over_http_counts_with_the_cookie(served_counter):
    sim = TwilioSimulator(
        served_counter.url,
        webhook_url=PUBLIC_URL + "/sms",
        auth_token=TEST_AUTH_TOKEN,
        clock=FakeClock(),
    )
    conv = sim.conversation(from_=SENDER, to=TWILIO_NUMBER)
    assert [conv.send("hi").reply for _ in range(2)] == [
        "Hello Rey, thanks for the message!",
        "Rey has messaged +14155550199 2 times.",
    ]
    assert conv.deliveries[1].request.headers["Cookie"].startswith("session=")


def test_a_base_url_without_webhook_url_posts_to_its_sms_path(app):
    with LocalServer(app) as server:
        sim = TwilioSimulator(server.url + "/", clock=FakeClock())
        delivery = sim.conversation(SENDER, TWILIO_NUMBER).send("hi")
    assert delivery.request.url == server.url + "/sms"
    assert delivery.reply == "Hello Rey, thanks for the message!"


def test_repeated_set_cookie_headers_are_all_kept():
    app = Flask("two_cookies")

    @app.route("/sms", methods=["POST"])
    def two_cookies():
        response = Response(request.headers.get("Cookie", "(none)"), mimetype="text/plain")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        return response

    with LocalServer(app) as server:
        conv = TwilioSimulator(server.url, clock=FakeClock()).conversation(SENDER, TWILIO_NUMBER)
        conv.send("one")
        assert conv.send("two").reply == "a=1; b=2"


def test_a_slow_webhook_is_11205_after_the_timeout():
    app = Flask("slow")

    @app.route("/sms", methods=["POST"])
    def slow_reply():
        time.sleep(0.5)
        return Response("<Response/>", mimetype="text/xml")

    with LocalServer(app) as server:
        sim = TwilioSimulator(server.url, clock=FakeClock(), timeout=0.1)
        started = time.monotonic()
        delivery = sim.conversation(SENDER, TWILIO_NUMBER).send("hi")
        elapsed = time.monotonic() - started
    assert elapsed < 0.5
    assert (delivery.status, delivery.error.code) == ("failed", 11205)
    assert delivery.error.message == "HTTP connection failure"
    assert delivery.error.detail == (f"no answer from {server.url}/sms within 0.1 s (connect 10 s)")


def test_a_refused_connection_is_11205():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sim = TwilioSimulator(f"http://127.0.0.1:{port}", clock=FakeClock())
    delivery = sim.conversation(SENDER, TWILIO_NUMBER).send("hi")
    assert delivery.error.code == 11205
    assert delivery.error.detail == (
        f"could not connect to http://127.0.0.1:{port}/sms: is the server running?"
    )


def test_the_default_timeouts_are_twilios():
    sim = TwilioSimulator("http://127.0.0.1:5000")
    assert (sim.transport.timeout, sim.transport.connect_timeout) == (15.0, 10.0)
