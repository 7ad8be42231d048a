"""accept_incoming: the order of the checks every webhook shares, and what each refusal says."""

import pytest
from twilio.request_validator import RequestValidator

from companion_app import create_app
from tests.support.values import PUBLIC_URL, SENDER, TEST_AUTH_TOKEN, TWILIO_NUMBER

PARAMS = {"From": SENDER, "To": TWILIO_NUMBER, "Body": "hi"}


@pytest.fixture
def signed_client():
    """The counter with signatures checked against PUBLIC_URL."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k",
            "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "PUBLIC_URL": PUBLIC_URL,
        }
    )
    return app.test_client()


def signature(params):
    """What Twilio's SDK computes for PUBLIC_URL/sms and these parameters."""
    return RequestValidator(TEST_AUTH_TOKEN).compute_signature(f"{PUBLIC_URL}/sms", params)


@pytest.mark.parametrize(
    ("data", "headers", "status", "says"),
    [
        (PARAMS, {}, 403, "Missing X-Twilio-Signature header"),
        (PARAMS, {"X-Twilio-Signature": "forged"}, 403, "Invalid X-Twilio-Signature for"),
        ({"To": TWILIO_NUMBER}, "sign", 400, "Missing parameter: From."),
        ({"Body": "x"}, "sign", 400, "Missing parameter: From and To."),
    ],
)
def test_refusals_in_order(signed_client, data, headers, status, says):
    """A bad signature is refused before anything else is read; then the missing pair."""
    if headers == "sign":
        headers = {"X-Twilio-Signature": signature(data)}
    response = signed_client.post("/sms", data=data, headers=headers)
    assert response.status_code == status
    assert response.mimetype == "text/plain"
    assert says in response.get_data(as_text=True)


def test_a_json_body_is_415_once_signed(signed_client):
    """A signed request whose body is not a form gets 415 and a sentence naming Twilio's type."""
    response = signed_client.post(
        "/sms",
        data='{"From": "x"}',
        content_type="application/json",
        headers={"X-Twilio-Signature": signature({})},
    )
    assert response.status_code == 415
    assert "application/x-www-form-urlencoded" in response.get_data(as_text=True)


def test_every_refusal_is_in_the_recent_requests(signed_client):
    """What was refused shows in the table a live learner watches."""
    signed_client.post("/sms", data=PARAMS)
    recent = list(signed_client.application.extensions["recent_requests"])
    assert [(r.from_, r.status) for r in recent] == [(SENDER, 403)]
