"""The counter webhook end to end through the simulator, signed as Twilio signs."""

import pytest

from companion_app import create_app
from companion_app.simulator import FakeClock, TwilioSimulator
from tests.support.values import PUBLIC_URL, SENDER, TEST_AUTH_TOKEN, TWILIO_NUMBER


@pytest.fixture
def sim(signed_app):
    """A simulator in front of the signed counter webhook, at the URL the app expects."""
    return TwilioSimulator(
        signed_app,
        webhook_url=PUBLIC_URL + "/sms",
        auth_token=TEST_AUTH_TOKEN,
        clock=FakeClock(),
        seed=0,
    )


def replies(conv, count):
    """The replies to `count` messages of one conversation."""
    return [conv.send(f"message {n}").reply for n in range(1, count + 1)]


def test_the_counter_thanks_first_then_counts(sim):
    conv = sim.conversation(from_=SENDER, to=TWILIO_NUMBER)
    assert replies(conv, 3) == [
        "Hello Rey, thanks for the message!",
        "Rey has messaged +14155550199 2 times.",
        "Rey has messaged +14155550199 3 times.",
    ]
    assert conv.deliveries[-1].status == "replied"
    assert conv.deliveries[-1].http_status == 200


def test_two_pairs_count_apart(sim):
    rey = sim.conversation(from_=SENDER, to=TWILIO_NUMBER)
    finn = sim.conversation(from_="+14155550101", to=TWILIO_NUMBER)
    rey.send("1")
    rey.send("2")
    assert finn.send("1").reply == "Hello Finn, thanks for the message!"
    assert rey.send("3").reply == "Rey has messaged +14155550199 3 times."
    other_number = sim.conversation(from_=SENDER, to="+14155550198")
    assert other_number.send("1").reply == "Hello Rey, thanks for the message!"


def test_the_count_restarts_4_hours_after_the_last_reply(sim):
    conv = sim.conversation(from_=SENDER, to=TWILIO_NUMBER)
    replies(conv, 2)
    sim.clock.advance(hours=3, minutes=59)
    assert conv.send("still here").reply == "Rey has messaged +14155550199 3 times."
    sim.clock.advance(hours=4)
    assert conv.send("back").reply == "Hello Rey, thanks for the message!"


def test_a_tampered_cookie_restarts_the_count(sim):
    conv = sim.conversation(from_=SENDER, to=TWILIO_NUMBER)
    replies(conv, 2)
    value = conv.cookies.get("session")
    conv.cookies.put("session", value.replace(value[0], "A" if value[0] != "A" else "B", 1))
    assert conv.send("again").reply == "Hello Rey, thanks for the message!"


def test_a_lost_cookie_restarts_the_count(sim):
    conv = sim.conversation(from_=SENDER, to=TWILIO_NUMBER)
    replies(conv, 2)
    conv.cookies.clear()
    assert conv.send("again").reply == "Hello Rey, thanks for the message!"


def test_two_messages_delivered_together_lose_an_update(sim):
    conv = sim.conversation(from_=SENDER, to=TWILIO_NUMBER)
    conv.send("1")
    first, second = conv.send_together(["2", "3"])
    assert first.request.headers["Cookie"] == second.request.headers["Cookie"]
    assert [first.reply, second.reply] == [
        "Rey has messaged +14155550199 2 times.",
        "Rey has messaged +14155550199 2 times.",
    ]
    assert conv.send("4").reply == "Rey has messaged +14155550199 3 times."


def test_deliver_together_on_the_simulator_is_the_same(sim):
    conv = sim.conversation(from_=SENDER, to=TWILIO_NUMBER)
    deliveries = sim.deliver_together(conv, ["1", "2"])
    assert [d.reply for d in deliveries] == ["Hello Rey, thanks for the message!"] * 2
    assert "Cookie" not in deliveries[1].request.headers


def test_a_wrong_token_is_refused_with_11200(signed_app):
    sim = TwilioSimulator(signed_app, webhook_url=PUBLIC_URL + "/sms", auth_token="wrong")
    delivery = sim.conversation(SENDER, TWILIO_NUMBER).send("hi")
    assert (delivery.status, delivery.error.code, delivery.http_status) == ("failed", 11200, 403)


def test_signing_the_local_url_instead_of_the_public_one_is_refused(signed_app):
    sim = TwilioSimulator(
        signed_app, webhook_url="http://localhost/sms", auth_token=TEST_AUTH_TOKEN
    )
    assert sim.conversation(SENDER, TWILIO_NUMBER).send("hi").error.code == 11200


def test_get_webhooks_count_too(signed_app):
    sim = TwilioSimulator(
        signed_app, webhook_url=PUBLIC_URL + "/sms", auth_token=TEST_AUTH_TOKEN, method="GET"
    )
    assert replies(sim.conversation(SENDER, TWILIO_NUMBER), 2)[-1] == (
        "Rey has messaged +14155550199 2 times."
    )


@pytest.mark.parametrize(
    "tunnel_headers, reply", [(True, "Hello Rey, thanks for the message!"), (False, None)]
)
def test_behind_a_trusted_proxy_the_tunnel_headers_rebuild_the_signed_url(tunnel_headers, reply):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k",
            "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "TRUST_PROXY_HEADERS": True,
        }
    )
    sim = TwilioSimulator(
        app,
        webhook_url=PUBLIC_URL + "/sms",
        auth_token=TEST_AUTH_TOKEN,
        tunnel_headers=tunnel_headers,
    )
    assert sim.conversation(SENDER, TWILIO_NUMBER).send("hi").reply == reply
