"""The real thing, with real credentials: `pytest -m live` (skipped, saying why, without them).

It opens a real ngrok tunnel, points the real number at it, sends a request signed with the real
auth token through the public URL to the local server, and checks the number is restored after.
"""

import os
import xml.etree.ElementTree as ET

import pytest
import requests
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from companion_app import create_app
from companion_app.golive import number_record
from companion_app.golive.live import go_live

NEEDED = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER", "NGROK_AUTHTOKEN")
# Read when the module is imported: the autouse fixture clears every setting before each test.
CREDENTIALS = {name: os.environ.get(name, "").strip() for name in NEEDED}
MISSING = [name for name in NEEDED if not CREDENTIALS[name]]

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        bool(MISSING), reason=f"needs {', '.join(MISSING)} in the environment (a real account)"
    ),
]


@pytest.fixture
def credentials(monkeypatch):
    """The real credentials back in the environment for this test."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    return CREDENTIALS


def webhook(credentials):
    """The number's SMS webhook as Twilio has it now: (url, method)."""
    client = Client(credentials["TWILIO_ACCOUNT_SID"], credentials["TWILIO_AUTH_TOKEN"])
    (number,) = client.incoming_phone_numbers.list(
        phone_number=credentials["TWILIO_PHONE_NUMBER"], limit=1
    )
    return number.sms_url, number.sms_method


def post(url, params, signature):
    """POST a form through the tunnel as Twilio would."""
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)


def test_a_signed_request_through_the_real_tunnel(credentials):
    before = webhook(credentials)
    token = credentials["TWILIO_AUTH_TOKEN"]
    app = create_app({"SECRET_KEY": os.urandom(16).hex(), "TWILIO_AUTH_TOKEN": token})
    printed = []
    session = go_live(app, credentials["TWILIO_PHONE_NUMBER"], name="live-test", say=printed.append)
    try:
        assert session.public_url and session.public_url.startswith("https://"), printed
        assert session.number.ok, printed
        assert webhook(credentials) == (session.public_url, "POST")
        params = {"From": "+14155550100", "To": credentials["TWILIO_PHONE_NUMBER"], "Body": "hi"}
        signature = RequestValidator(token).compute_signature(session.public_url, params)
        answered = post(session.public_url, params, signature)
        assert answered.status_code == 200
        reply = ET.fromstring(answered.text).findtext("Message")  # noqa: S314 (our own app's reply)
        assert reply == "Hello Rey, thanks for the message!"
        forged = post(session.public_url, params, "bm90IGEgcmVhbCBzaWduYXR1cmU=")
        assert forged.status_code == 403
    finally:
        session.close()
    assert webhook(credentials) == before
    assert number_record.load(credentials["TWILIO_PHONE_NUMBER"]) is None
