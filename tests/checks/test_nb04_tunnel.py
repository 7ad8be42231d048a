"""Notebook 04's self-checks: a webhook behind a tunnel, and a signature computed like Twilio's."""

import logging

import pytest
from flask import Flask, Response, session
from twilio.request_validator import RequestValidator

from companion_app import checks, create_app
from companion_app.simulator import FakeClock, TwilioSimulator

TOKEN = "made-up-auth-token"
TUNNEL = "https://example.ngrok.app"


def counter(**config):
    """The reference counter with signature checks on and the given settings."""
    return create_app({"SECRET_KEY": "k" * 32, "TWILIO_AUTH_TOKEN": TOKEN, **config})


def unchecked_counter():
    """A counter that never looks at the signature, though an auth token is configured."""
    app = Flask("unchecked")
    app.config.update(SECRET_KEY="k", TWILIO_AUTH_TOKEN=TOKEN)

    @app.route("/sms", methods=["POST"])
    def count():
        session["n"] = session.get("n", 0) + 1
        text = "Hello Rey" if session["n"] == 1 else f"{session['n']} times"
        return Response(f"<Response><Message>{text}</Message></Response>", mimetype="text/xml")

    return app


@pytest.mark.parametrize(
    "config",
    [
        {"PUBLIC_URL": TUNNEL},
        {"PUBLIC_URL": TUNNEL + "/"},
        {"TRUST_PROXY_HEADERS": True},
    ],
    ids=["public-url", "trailing-slash", "proxy-headers"],
)
def test_behind_tunnel_passes_with_either_fix(config):
    verdict = checks.check_accepts_twilio_behind_tunnel(counter(**config))
    assert verdict, repr(verdict)


@pytest.mark.parametrize(
    ("make_app", "hint"),
    [
        (counter, "checks the signature against the URL it sees"),
        (
            lambda: counter(PUBLIC_URL="https://other.ngrok.app"),
            "set PUBLIC_URL to https://example.ngrok.app",
        ),
        (lambda: counter(TWILIO_AUTH_TOKEN=None), "TWILIO_AUTH_TOKEN is not set"),
        (
            unchecked_counter,
            "signed with the wrong token got 'Hello Rey': keep the signature check on",
        ),
    ],
    ids=["no-public-url", "wrong-public-url", "check-switched-off", "never-checks"],
)
def test_behind_tunnel_fails_with_a_hint(make_app, hint):
    verdict = checks.check_accepts_twilio_behind_tunnel(make_app())
    assert not verdict
    assert hint in repr(verdict)


def test_behind_tunnel_holds_back_the_webhooks_warnings(caplog):
    with caplog.at_level(logging.WARNING):
        checks.check_accepts_twilio_behind_tunnel(counter())
    assert not [r for r in caplog.records if r.name.startswith("companion_app")]


@pytest.fixture
def delivery():
    """One message the simulator signed for the tunnel's public URL."""
    sim = TwilioSimulator(
        counter(PUBLIC_URL=TUNNEL), webhook_url=f"{TUNNEL}/sms", auth_token=TOKEN, clock=FakeClock()
    )
    return sim.conversation(from_="+14155550100", to="+14155550199").send("hi")


def test_same_signature_passes_for_twilios_own(delivery):
    sent = delivery.request
    signature = RequestValidator(TOKEN).compute_signature(sent.url, sent.params)
    assert checks.check_same_signature(signature, delivery)


@pytest.mark.parametrize(
    ("make", "hint"),
    [
        (
            lambda sent: RequestValidator(TOKEN).compute_signature(
                "http://127.0.0.1:5000/sms", sent.params
            ),
            "sign the public URL Twilio called (https://example.ngrok.app/sms)",
        ),
        (
            lambda sent: RequestValidator(TOKEN).compute_signature(sent.url, {"Body": "hi"}),
            "every form parameter",
        ),
        (
            lambda sent: RequestValidator("guess").compute_signature(sent.url, sent.params),
            "with the auth token",
        ),
        (lambda sent: None, "`my_signature` is not written yet"),
    ],
    ids=["local-url", "some-params", "wrong-token", "nothing"],
)
def test_same_signature_fails_with_a_hint(delivery, make, hint):
    verdict = checks.check_same_signature(make(delivery.request), delivery)
    assert not verdict
    assert hint in repr(verdict)
    assert TOKEN not in repr(verdict)
