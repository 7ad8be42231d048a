"""The counter webhook: replies, callers, pairs, methods, signatures and bad input."""

import base64
import logging
from urllib.parse import urlencode

import pytest
from flask.sessions import SecureCookieSessionInterface
from twilio.request_validator import RequestValidator

from companion_app import create_app
from companion_app.app.counter import COUNTER_KEY
from tests.support.values import PUBLIC_URL, SENDER, TEST_AUTH_TOKEN, TWILIO_NUMBER

XML_PREFIX = '<?xml version="1.0" encoding="UTF-8"?>'


def message_xml(text):
    """The exact TwiML of one reply message."""
    return f"{XML_PREFIX}<Response><Message>{text}</Message></Response>"


def test_first_message_thanks_the_sender_by_name(conversation):
    response = conversation()("hello")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == message_xml("Hello Rey, thanks for the message!")


def test_later_messages_report_the_count(conversation):
    send = conversation()
    replies = [send(f"message {n}").get_data(as_text=True) for n in range(1, 5)]
    assert replies[1:] == [
        message_xml(f"Rey has messaged {TWILIO_NUMBER} {n} times.") for n in (2, 3, 4)
    ]


def test_unknown_sender_is_friend(conversation):
    send = conversation(from_="+14155557777")
    assert "Hello Friend, thanks" in send().get_data(as_text=True)
    assert f"Friend has messaged {TWILIO_NUMBER} 2 times." in send().get_data(as_text=True)


def test_caller_directory_comes_from_config():
    app = create_app({"SECRET_KEY": "k", "CALLERS": {"+15005550006": "Ada"}})
    reply = app.test_client().post("/sms", data={"From": "+15005550006", "To": TWILIO_NUMBER})
    assert "Hello Ada, thanks" in reply.get_data(as_text=True)


def test_two_pairs_are_counted_apart(conversation):
    rey = conversation(from_=SENDER)
    finn = conversation(from_="+14155550101")
    rey(), rey(), finn()
    assert "Rey has messaged +14155550199 3 times." in rey().get_data(as_text=True)
    assert "Finn has messaged +14155550199 2 times." in finn().get_data(as_text=True)


def test_replies_are_xml(client):
    response = client.post("/sms", data={"From": SENDER, "To": TWILIO_NUMBER})
    assert response.mimetype == "application/xml"


def test_get_counts_too(client):
    query = {"From": SENDER, "To": TWILIO_NUMBER, "Body": "hi"}
    client.get("/sms", query_string=query)
    response = client.get("/sms", query_string=query)
    assert response.get_data(as_text=True) == message_xml("Rey has messaged +14155550199 2 times.")


def test_missing_body_is_an_empty_message(client):
    response = client.post("/sms", data={"From": SENDER, "To": TWILIO_NUMBER, "NumMedia": "1"})
    assert response.status_code == 200


def test_unknown_parameters_are_ignored(client):
    data = {"From": SENDER, "To": TWILIO_NUMBER, "Body": "hi", "SomethingNew": "x"}
    assert client.post("/sms", data=data).status_code == 200


@pytest.mark.parametrize(
    ("data", "status", "text"),
    [
        ({"To": TWILIO_NUMBER}, 400, "Missing parameter: From.\n"),
        ({"From": SENDER}, 400, "Missing parameter: To.\n"),
        ({"From": "", "To": ""}, 400, "Missing parameter: From and To.\n"),
        ({}, 400, "Missing parameter: From and To.\n"),
    ],
)
def test_missing_numbers_get_400(client, data, status, text):
    response = client.post("/sms", data=data)
    assert (response.status_code, response.get_data(as_text=True)) == (status, text)
    assert response.mimetype == "text/plain"


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_wrong_method_gets_a_plain_405(client, method):
    response = getattr(client, method)("/sms")
    assert response.status_code == 405
    assert "Twilio uses POST or GET" in response.get_data(as_text=True)


def session_cookie(app, data):
    """A session cookie for `data`, signed with the app's key."""
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    return serializer.dumps(data)


@pytest.mark.parametrize(
    "cookie",
    [
        pytest.param("not-a-signed-value", id="garbage"),
        pytest.param(None, id="tampered"),
        pytest.param("other-key", id="signed-with-another-key"),
    ],
)
def test_bad_cookie_starts_a_fresh_conversation(app, client, cookie):
    if cookie is None:  # a genuine cookie whose payload is swapped, keeping the signature
        payload, timestamp, signature = session_cookie(app, {COUNTER_KEY: 5}).split(".")
        forged = base64.urlsafe_b64encode(b'{"counter":500}').rstrip(b"=").decode()
        assert forged != payload
        cookie = f"{forged}.{timestamp}.{signature}"
    elif cookie == "other-key":
        cookie = session_cookie(create_app({"SECRET_KEY": "another key"}), {COUNTER_KEY: 41})
    client.set_cookie("session", cookie)
    response = client.post("/sms", data={"From": SENDER, "To": TWILIO_NUMBER})
    assert "Hello Rey, thanks" in response.get_data(as_text=True)


@pytest.mark.parametrize("stored", ["seven", -3, 2.5, True, None, [1], {"n": 1}])
def test_session_holding_garbage_starts_over(app, client, stored):
    client.set_cookie("session", session_cookie(app, {COUNTER_KEY: stored}))
    response = client.post("/sms", data={"From": SENDER, "To": TWILIO_NUMBER})
    assert response.status_code == 200
    assert "Hello Rey, thanks" in response.get_data(as_text=True)


def test_a_valid_cookie_continues_the_count(app, client):
    client.set_cookie("session", session_cookie(app, {COUNTER_KEY: 41}))
    response = client.post("/sms", data={"From": SENDER, "To": TWILIO_NUMBER})
    assert "Rey has messaged +14155550199 42 times." in response.get_data(as_text=True)


# --- signatures -------------------------------------------------------------------------------

PARAMS = {"From": SENDER, "To": TWILIO_NUMBER, "Body": "hello", "MessageSid": "SM" + "0" * 32}


def sign(url, params):
    """The signature Twilio would send for this URL and form."""
    return RequestValidator(TEST_AUTH_TOKEN).compute_signature(url, params)


def test_signature_for_the_public_url_is_accepted(signed_app):
    headers = {"X-Twilio-Signature": sign(f"{PUBLIC_URL}/sms", PARAMS)}
    response = signed_app.test_client().post("/sms", data=PARAMS, headers=headers)
    assert response.status_code == 200
    assert "Hello Rey" in response.get_data(as_text=True)


def test_signature_with_a_query_string_covers_it(signed_app):
    headers = {"X-Twilio-Signature": sign(f"{PUBLIC_URL}/sms?lang=en", PARAMS)}
    response = signed_app.test_client().post("/sms?lang=en", data=PARAMS, headers=headers)
    assert response.status_code == 200


def test_get_signature_covers_the_url_only(signed_app):
    query = urlencode(PARAMS)
    headers = {"X-Twilio-Signature": sign(f"{PUBLIC_URL}/sms?{query}", {})}
    response = signed_app.test_client().get(f"/sms?{query}", headers=headers)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "Missing X-Twilio-Signature header"),
        ({"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}, "Invalid X-Twilio-Signature"),
        (
            {"X-Twilio-Signature": sign("http://localhost/sms", PARAMS)},
            "Invalid X-Twilio-Signature for https://example.ngrok.app/sms",
        ),
    ],
    ids=["missing", "forged", "signed-for-the-local-url"],
)
def test_bad_signature_gets_403(signed_app, headers, reason):
    response = signed_app.test_client().post("/sms", data=PARAMS, headers=headers)
    assert response.status_code == 403
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith(reason)


def test_changed_parameter_breaks_the_signature(signed_app):
    headers = {"X-Twilio-Signature": sign(f"{PUBLIC_URL}/sms", PARAMS)}
    tampered = {**PARAMS, "Body": "hello!"}
    assert signed_app.test_client().post("/sms", data=tampered, headers=headers).status_code == 403


def proxied_app(trust):
    """An app behind a proxy, with no PUBLIC_URL configured."""
    return create_app(
        {"SECRET_KEY": "k", "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN, "TRUST_PROXY_HEADERS": trust}
    )


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "example.ngrok.app"}


def test_trusted_proxy_headers_rebuild_the_public_url():
    headers = {**FORWARDED, "X-Twilio-Signature": sign(f"{PUBLIC_URL}/sms", PARAMS)}
    response = proxied_app(True).test_client().post("/sms", data=PARAMS, headers=headers)
    assert response.status_code == 200


def test_proxy_headers_are_ignored_unless_trusted():
    headers = {**FORWARDED, "X-Twilio-Signature": sign(f"{PUBLIC_URL}/sms", PARAMS)}
    response = proxied_app(False).test_client().post("/sms", data=PARAMS, headers=headers)
    assert response.status_code == 403
    assert "for http://localhost/sms" in response.get_data(as_text=True)


def test_without_a_proxy_the_request_url_is_checked():
    headers = {"X-Twilio-Signature": sign("http://localhost/sms", PARAMS)}
    response = proxied_app(False).test_client().post("/sms", data=PARAMS, headers=headers)
    assert response.status_code == 200


# --- what is logged and recorded -------------------------------------------------------------


def test_log_has_the_pair_and_count_but_never_the_body(app, client, caplog):
    caplog.set_level(logging.INFO)
    client.post("/sms", data={"From": SENDER, "To": TWILIO_NUMBER, "Body": "my secret plan"})
    assert f"message {SENDER} -> {TWILIO_NUMBER}: count 1" in caplog.text
    assert "secret plan" not in caplog.text


def test_recent_requests_show_count_and_signature_state(signed_app):
    client = signed_app.test_client()
    headers = {"X-Twilio-Signature": sign(f"{PUBLIC_URL}/sms", PARAMS)}
    client.post("/sms", data=PARAMS, headers=headers)
    client.post("/sms", data=PARAMS, headers={"X-Twilio-Signature": "forged"})
    rows = [
        (r.from_, r.count, r.signature, r.status) for r in signed_app.extensions["recent_requests"]
    ]
    assert rows == [(SENDER, 1, "valid", 200), (SENDER, None, "invalid", 403)]
    table = signed_app.extensions["recent_requests"].table()
    assert "invalid" in table and "hello" not in table
