"""Webhooks signed with a SharedKey (X-Twilio-Webhooks-Signature-Settings), against the twilio SDK.

Twilio signs with the Auth Token and HMAC-SHA1 unless a Webhooks Rule gives the URL a SharedKey:
then the same string (URL + sorted parameters) is signed with the key's secret and the algorithm the
header names. Expected signatures come from twilio-python's RequestValidator, never from this
project's code.
"""

from urllib.parse import urlencode

import pytest
from twilio.request_validator import HMAC_SHA1, HMAC_SHA256, RequestValidator

from companion_app import create_app
from companion_app.serving.server import LocalServer
from companion_app.settings import describe_environment
from tests.support.values import (
    PUBLIC_URL,
    SENDER,
    TEST_AUTH_TOKEN,
    TWILIO_NUMBER,
    signed_simulator,
)
from tests.support.wire import BODIES, raw_request

SHARED_KEY = "shared-key-secret-0123456789"
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"


def app_with(**config):
    """The counter behind PUBLIC_URL, with the test Auth Token and the given settings."""
    base = {"SECRET_KEY": "k", "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN, "PUBLIC_URL": PUBLIC_URL}
    return create_app({**base, **config})


@pytest.fixture(scope="module")
def shared_key_server():
    """The counter on a real port, knowing the SharedKey's secret."""
    with LocalServer(app_with(TWILIO_WEBHOOK_SHARED_KEY=SHARED_KEY)) as server:
        yield server


def post(server, body, secret, algorithm, header=True, query=""):
    """POST a message signed by the SDK for the public URL; return (status, text)."""
    params = {"From": SENDER, "To": TWILIO_NUMBER, "Body": body, "MessageSid": "SM" + "0" * 32}
    signature = RequestValidator(secret).compute_signature(
        f"{PUBLIC_URL}/sms{query}", params, algorithm
    )
    headers = {"X-Twilio-Signature": signature}
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    if header:
        headers[SETTINGS_HEADER] = f"key=KS{'1' * 32},algorithm={algorithm}"
    return raw_request(server.port, "POST", f"/sms{query}", headers, urlencode(params).encode())


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("algorithm", [HMAC_SHA256, HMAC_SHA1])
def test_a_shared_key_signature_is_accepted_over_http(shared_key_server, body, algorithm):
    status, text = post(shared_key_server, body, SHARED_KEY, algorithm, query="?city=caf%C3%A9")
    assert status == 200 and "<Message>" in text


@pytest.mark.parametrize(
    ("secret", "algorithm", "header"),
    [
        (
            TEST_AUTH_TOKEN,
            HMAC_SHA256,
            True,
        ),  # the header names a SharedKey: the token does not sign
        (SHARED_KEY, HMAC_SHA1, True),  # the header says SHA1... but the signature below is SHA256
        (SHARED_KEY, HMAC_SHA256, False),  # no header: Twilio signed with the Auth Token and SHA1
    ],
)
def test_a_signature_made_with_another_secret_or_algorithm_is_refused(
    shared_key_server, secret, algorithm, header
):
    params = {"From": SENDER, "To": TWILIO_NUMBER, "Body": "hi"}
    validator = RequestValidator(secret)
    other = HMAC_SHA256 if algorithm == HMAC_SHA1 else algorithm
    signature = validator.compute_signature(f"{PUBLIC_URL}/sms", params, other)
    headers = {"X-Twilio-Signature": signature}
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    if header:
        headers[SETTINGS_HEADER] = f"key=KS{'1' * 32},algorithm={algorithm}"
    status, text = raw_request(
        shared_key_server.port, "POST", "/sms", headers, urlencode(params).encode()
    )
    assert status == 403 and "Invalid X-Twilio-Signature" in text


def test_the_auth_token_still_signs_requests_without_the_header(shared_key_server):
    status, text = post(shared_key_server, "hi", TEST_AUTH_TOKEN, HMAC_SHA1, header=False)
    assert status == 200 and "<Message>" in text


def test_a_shared_key_request_without_the_secret_configured_is_refused_with_a_sentence():
    client = app_with().test_client()
    params = {"From": SENDER, "To": TWILIO_NUMBER, "Body": "hi"}
    signature = RequestValidator(SHARED_KEY).compute_signature(
        f"{PUBLIC_URL}/sms", params, HMAC_SHA256
    )
    headers = {"X-Twilio-Signature": signature, SETTINGS_HEADER: "key=KS1,algorithm=HMAC_SHA256"}
    response = client.post("/sms", data=params, headers=headers)
    assert response.status_code == 403
    assert "TWILIO_WEBHOOK_SHARED_KEY is not set" in response.get_data(as_text=True)


def test_an_algorithm_the_sdk_does_not_know_is_refused_with_a_sentence():
    client = app_with(TWILIO_WEBHOOK_SHARED_KEY=SHARED_KEY).test_client()
    headers = {"X-Twilio-Signature": "x", SETTINGS_HEADER: "key=KS1,algorithm=HMAC_MD5"}
    response = client.post("/sms", data={"From": SENDER, "To": TWILIO_NUMBER}, headers=headers)
    assert response.status_code == 403
    assert "Unsupported signature algorithm 'HMAC_MD5'" in response.get_data(as_text=True)


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_the_simulator_signs_with_a_shared_key_as_the_sdk_validates_it(method):
    app = app_with(TWILIO_WEBHOOK_SHARED_KEY=SHARED_KEY)
    sim = signed_simulator(app, shared_key=SHARED_KEY, method=method)
    rey = sim.conversation(from_=SENDER, to=TWILIO_NUMBER)
    assert rey.send("café 🍪").reply.startswith("Hello Rey")
    sent = rey.deliveries[-1].request
    assert sent.headers[SETTINGS_HEADER] == f"key={sim.shared_key_sid},algorithm=HMAC_SHA256"
    params = sent.params if method == "POST" else {}
    assert RequestValidator(SHARED_KEY).validate(
        sent.url, params, sent.headers["X-Twilio-Signature"], HMAC_SHA256
    )
    assert rey.send("again").reply.endswith("2 times.")


def test_the_shared_key_is_a_secret_never_shown(monkeypatch):
    monkeypatch.setenv("TWILIO_WEBHOOK_SHARED_KEY", SHARED_KEY)
    text = describe_environment()
    assert "TWILIO_WEBHOOK_SHARED_KEY" in text and SHARED_KEY not in text
