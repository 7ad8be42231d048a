"""Bad input against the webhook served on a real port, signatures on: the status and reply, never a 500.

Each row is one request a careless client, a broken proxy or an attacker could send. "reply" is what
a person sees: the SMS text for a 200 (parsed from the TwiML), else the plain-text sentence Twilio's
debugger would show a developer.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pytest
import requests
from flask.sessions import SecureCookieSessionInterface
from twilio.request_validator import RequestValidator

from companion_app import create_app
from companion_app.serving.server import LocalServer
from tests.support.values import PUBLIC_URL, SENDER, TEST_AUTH_TOKEN, TWILIO_NUMBER

SECRET_KEY = "test-secret-key"
PAIR = {"From": SENDER, "To": TWILIO_NUMBER}
FIRST = "Hello Rey, thanks for the message!"
SIGNATURE_REJECTED = (
    "Invalid X-Twilio-Signature for {url}: the request was forged, or Twilio signed a different "
    "URL (set PUBLIC_URL to the public https address Twilio calls)."
)


def nth(count):
    """The counter's reply to the pair's count-th message."""
    return f"Rey has messaged {TWILIO_NUMBER} {count} times."


def session_cookie(data, secret_key=SECRET_KEY):
    """A Flask session cookie value holding `data`, signed with `secret_key`."""
    app = create_app({"SECRET_KEY": secret_key, "ENV_FILE": None})
    return SecureCookieSessionInterface().get_signing_serializer(app).dumps(data)


@dataclass
class Case:
    """One request and what the webhook must answer."""

    status: int
    reply: str
    form: dict | bytes | None = field(default_factory=lambda: dict(PAIR, Body="hi"))
    method: str = "POST"
    query: str = ""
    content_type: str | None = None
    cookie: str | None = None
    #: "genuine" signs what the app reads; None sends no signature; a (url, params) tuple signs
    #: those instead; any other string is sent as the signature itself.
    sign: object = "genuine"
    json: dict | None = None


def signed_params(case):
    """The parameters Twilio would have signed for this request."""
    if case.method != "POST" or not isinstance(case.form, dict):
        return {}
    return case.form


CASES = {
    # Parameters
    "plain message": Case(200, FIRST),
    "missing From": Case(400, "Missing parameter: From.", form={"To": TWILIO_NUMBER}),
    "missing To": Case(400, "Missing parameter: To.", form={"From": SENDER}),
    "missing both": Case(400, "Missing parameter: From and To.", form={"Body": "hi"}),
    "empty From": Case(400, "Missing parameter: From.", form=dict(PAIR, From="")),
    "empty To and From": Case(
        400, "Missing parameter: From and To.", form={"From": "", "To": "", "Body": "x"}
    ),
    "no Body at all": Case(200, FIRST, form=dict(PAIR)),
    "1600-character body": Case(200, FIRST, form=dict(PAIR, Body="x" * 1600)),
    "emoji body": Case(200, FIRST, form=dict(PAIR, Body="🍪 cookies? 👋🏽 ✨")),
    "unknown parameters": Case(
        200, FIRST, form=dict(PAIR, Body="hi", BrandNewParam="1", FromCountry="US")
    ),
    "GET with the query signed": Case(
        200, FIRST, method="GET", form=None, query="?From=%2B14155550100&To=%2B14155550199"
    ),
    # Bodies that are not a readable form
    "invalid UTF-8 bytes, signed as read": Case(
        400,
        "Could not read the form: Twilio sends UTF-8 encoded form fields.",
        form=b"From=%2B14155550100&To=%2B14155550199&Body=\xff\xfe",
        content_type="application/x-www-form-urlencoded",
        sign=(f"{PUBLIC_URL}/sms", {}),
    ),
    "invalid UTF-8 bytes, signed as sent": Case(
        403,
        SIGNATURE_REJECTED.format(url=f"{PUBLIC_URL}/sms"),
        form=b"From=%2B14155550100&To=%2B14155550199&Body=\xff\xfe",
        content_type="application/x-www-form-urlencoded",
        sign=(f"{PUBLIC_URL}/sms", dict(PAIR, Body="\ufffd\ufffd")),
    ),
    "JSON body": Case(
        415,
        "Unsupported Content-Type application/json: Twilio posts form fields "
        "(application/x-www-form-urlencoded).",
        form=None,
        json=dict(PAIR, Body="hi"),
    ),
    "text/plain body": Case(
        415,
        "Unsupported Content-Type text/plain: Twilio posts form fields "
        "(application/x-www-form-urlencoded).",
        form=b"From=+14155550100",
        content_type="text/plain",
    ),
    "JSON body, unsigned": Case(
        403,
        "Missing X-Twilio-Signature header: this request did not come from Twilio.",
        form=None,
        json=dict(PAIR),
        sign=None,
    ),
    # Methods
    "PUT": Case(405, "Method PUT is not allowed here: Twilio uses POST or GET.", method="PUT"),
    "DELETE": Case(
        405, "Method DELETE is not allowed here: Twilio uses POST or GET.", method="DELETE"
    ),
    "PATCH": Case(
        405, "Method PATCH is not allowed here: Twilio uses POST or GET.", method="PATCH"
    ),
    # Signatures
    "no signature": Case(
        403, "Missing X-Twilio-Signature header: this request did not come from Twilio.", sign=None
    ),
    "forged signature": Case(
        403, SIGNATURE_REJECTED.format(url=f"{PUBLIC_URL}/sms"), sign="bm90IGEgc2lnbmF0dXJl"
    ),
    "signature made with another token": Case(
        403,
        SIGNATURE_REJECTED.format(url=f"{PUBLIC_URL}/sms"),
        sign=RequestValidator("54321").compute_signature(
            f"{PUBLIC_URL}/sms", dict(PAIR, Body="hi")
        ),
    ),
    "genuine signature replayed to another URL": Case(
        403,
        SIGNATURE_REJECTED.format(url=f"{PUBLIC_URL}/sms (query string left out)"),
        query="?replayed=1",
        sign=(f"{PUBLIC_URL}/sms", dict(PAIR, Body="hi")),
    ),
    "genuine signature for another host": Case(
        403,
        SIGNATURE_REJECTED.format(url=f"{PUBLIC_URL}/sms"),
        sign=("https://attacker.example/sms", dict(PAIR, Body="hi")),
    ),
    "genuine signature, Body changed": Case(
        403,
        SIGNATURE_REJECTED.format(url=f"{PUBLIC_URL}/sms"),
        sign=(f"{PUBLIC_URL}/sms", dict(PAIR, Body="original")),
    ),
    # Cookies: a cookie the app cannot trust starts the conversation again, never a 500
    "our own cookie (control)": Case(
        200, nth(42), cookie=f"session={session_cookie({'counter': 41})}"
    ),
    "cookie signed with another SECRET_KEY": Case(
        200, FIRST, cookie=f"session={session_cookie({'counter': 41}, 'another-key')}"
    ),
    "our cookie, counter is text": Case(
        200, FIRST, cookie=f"session={session_cookie({'counter': '41'})}"
    ),
    "our cookie, counter is negative": Case(
        200, FIRST, cookie=f"session={session_cookie({'counter': -5})}"
    ),
    "our cookie, counter is true": Case(
        200, FIRST, cookie=f"session={session_cookie({'counter': True})}"
    ),
    "8 kB garbage session cookie": Case(200, FIRST, cookie="session=" + "A" * 8000),
    "8 kB other cookie beside ours": Case(
        200, nth(6), cookie=f"junk={'B' * 8000}; session={session_cookie({'counter': 5})}"
    ),
    "empty session cookie": Case(200, FIRST, cookie="session="),
    "session without a value": Case(200, FIRST, cookie="session"),
    "cookie with no name": Case(200, FIRST, cookie="=value"),
    "unbalanced quote": Case(200, FIRST, cookie='session="abc'),
    "not base64": Case(200, FIRST, cookie="session=!!!.%%%.***"),
    "non-ASCII cookie": Case(200, FIRST, cookie="session=caf\u00e9"),
    "session cookie twice": Case(
        200, nth(3), cookie=f"session={session_cookie({'counter': 2})}; session=garbage"
    ),
}


@pytest.fixture(scope="module")
def served():
    """The signed counter webhook on a real loopback port, stopped after the module."""
    app = create_app(
        {
            "SECRET_KEY": SECRET_KEY,
            "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "PUBLIC_URL": PUBLIC_URL,
            "ENV_FILE": None,
        }
    )
    with LocalServer(app) as local:
        yield local


def send(served, case):
    """Send one case over HTTP and return the response."""
    headers = {}
    if case.content_type:
        headers["Content-Type"] = case.content_type
    if case.cookie is not None:
        headers["Cookie"] = case.cookie
    if case.sign == "genuine":
        signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(
            f"{PUBLIC_URL}/sms{case.query}", signed_params(case)
        )
    elif isinstance(case.sign, tuple):
        signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(*case.sign)
    else:
        signature = case.sign
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return requests.request(
        case.method,
        f"{served.url}/sms{case.query}",
        data=case.form,
        json=case.json,
        headers=headers,
        timeout=10,
    )


def what_the_user_sees(response):
    """The SMS text of a TwiML reply, or the plain-text sentence of an error."""
    if response.status_code == 200:
        assert response.headers["Content-Type"].startswith("application/xml")
        root = ET.fromstring(response.content)  # noqa: S314 (our own server's reply)
        assert root.tag == "Response"
        return " / ".join(message.text for message in root.iter("Message"))
    assert response.headers["Content-Type"].startswith("text/plain")
    return response.text.strip()


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_gets_a_clear_answer(served, case):
    response = send(served, case)
    assert response.status_code != 500
    assert (response.status_code, what_the_user_sees(response)) == (case.status, case.reply)


def test_a_rejected_request_sets_no_cookie(served):
    response = send(served, CASES["forged signature"])
    assert response.status_code == 403
    assert "Set-Cookie" not in response.headers


def test_a_distrusted_cookie_is_replaced_by_a_good_one(served):
    first = send(served, CASES["cookie signed with another SECRET_KEY"])
    jar_value = first.cookies["session"]
    second = send(served, Case(200, nth(2), cookie=f"session={jar_value}"))
    assert what_the_user_sees(second) == nth(2)
