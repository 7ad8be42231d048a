"""Signatures against references the project did not write: the twilio SDK on the raw wire URL,
twilio-python's published vector, and requests the simulator puts on a real socket."""

import logging
import threading
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from companion_app.app.signature import raw_request_uri, signature_matches
from companion_app.serving import production
from tests.support.values import (
    PUBLIC_URL,
    SENDER,
    TEST_AUTH_TOKEN,
    TWILIO_NUMBER,
    signed_simulator,
)
from tests.support.wire import BODIES, MODES, QUERIES, mode_app, raw_request, simulator_for

#: twilio-python's published test vector (tests/unit/test_request_validator.py).
VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
VECTOR_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_the_published_vector_is_accepted_and_one_changed_parameter_is_not():
    assert RequestValidator(TEST_AUTH_TOKEN).validate(VECTOR_URL, VECTOR_PARAMS, VECTOR_SIGNATURE)
    assert signature_matches(TEST_AUTH_TOKEN, VECTOR_URL, VECTOR_PARAMS, VECTOR_SIGNATURE)
    tampered = dict(VECTOR_PARAMS, Digits="1235")
    assert not signature_matches(TEST_AUTH_TOKEN, VECTOR_URL, tampered, VECTOR_SIGNATURE)


def port_table():
    """(signed URL, validated URL) pairs: with and without ports, both schemes, odd ports."""
    hosts = {
        "https": ["example.com", "example.com:443", "example.com:8443"],
        "http": ["example.com", "example.com:80", "example.com:8080"],
    }
    pairs = []
    for scheme, netlocs in hosts.items():
        other = "http" if scheme == "https" else "https"
        urls = [f"{scheme}://{n}/sms?x=%27" for n in netlocs]
        urls += [f"{other}://example.com/sms?x=%27", f"{scheme}://example.org/sms?x=%27"]
        pairs += [(signed, checked) for signed in urls for checked in urls]
    return pairs


@pytest.mark.parametrize("signed, checked", port_table())
@pytest.mark.parametrize("params", [{}, {"Body": "hi", "From": SENDER}])
def test_one_hmac_first_decides_exactly_as_the_sdks_validate(signed, checked, params):
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(signed, params)
    expected = RequestValidator(TEST_AUTH_TOKEN).validate(checked, params, signature)
    assert signature_matches(TEST_AUTH_TOKEN, checked, params, signature) is expected


def test_a_host_with_a_port_that_is_not_a_number_is_refused_not_a_500():
    assert not signature_matches(TEST_AUTH_TOKEN, "https://example.com:x/sms", {}, "abc=")


# --- the simulator on the wire, the companion webhook validating, in every mode ---------------


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("mode", MODES)
def test_the_webhook_accepts_the_simulators_requests_over_http(servers, mode, method, query):
    sim = simulator_for(mode, servers[mode], method, query)
    replies = []
    for index, body in enumerate(BODIES):
        conv = sim.conversation(f"+1415555{index:04d}", TWILIO_NUMBER)
        delivery = conv.send(body)
        assert delivery.http_status == 200, (body, delivery.error)
        replies.append(delivery.reply)
    assert replies == ["Hello Friend, thanks for the message!"] * len(BODIES)


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("mode", MODES)
def test_a_forged_request_over_http_is_still_refused(servers, mode, method):
    sim = simulator_for(mode, servers[mode], method, "?name=it%27s")
    sim.auth_token = "not-the-token"
    delivery = sim.conversation(SENDER, TWILIO_NUMBER).send("it's me")
    assert (delivery.http_status, delivery.error.code) == (403, 11200)


def wire_cases():
    """Raw request targets as Twilio could send them, each with a body for GET's query."""
    for query in QUERIES:
        for body in BODIES:
            yield query, body


@pytest.mark.parametrize("query, body", list(wire_cases()))
def test_a_get_signed_by_the_sdk_over_the_raw_target_is_accepted(servers, query, body):
    """The signature comes from the SDK on the exact bytes of the request line, not the simulator."""
    params = {"From": SENDER, "To": TWILIO_NUMBER, "Body": body}
    target = "/sms" + (query + "&" if query else "?") + urlencode(params)
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(PUBLIC_URL + target, {})
    port = int(servers["PUBLIC_URL"].url.rsplit(":", 1)[1])
    status, reply = raw_request(port, "GET", target, {"X-Twilio-Signature": signature})
    assert status == 200, reply
    assert "Hello Rey, thanks for the message!" in reply


def test_a_post_to_an_escaped_path_is_validated_on_the_raw_path(servers):
    """%7E in the path must be signed as sent; the decoded '~' would be another URL."""
    params = {"From": SENDER, "To": TWILIO_NUMBER, "Body": "hi"}
    target = "/sms?tag=%7Ehome"
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(PUBLIC_URL + target, params)
    port = int(servers["PUBLIC_URL"].url.rsplit(":", 1)[1])
    headers = {
        "X-Twilio-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    status, _ = raw_request(port, "POST", target, headers, urlencode(params).encode())
    assert status == 200
    decoded = RequestValidator(TEST_AUTH_TOKEN).compute_signature(
        PUBLIC_URL + "/sms?tag=~home", params
    )
    headers["X-Twilio-Signature"] = decoded
    status, _ = raw_request(port, "POST", target, headers, urlencode(params).encode())
    assert status == 403


#: (WSGI environ, the raw request URI the signature is checked on): raw URI first, else rebuilt.
ENVIRONS = {
    "RAW_URI (gunicorn)": ({"RAW_URI": "/sms?x=it%27s", "PATH_INFO": "/sms"}, "/sms?x=it%27s"),
    "REQUEST_URI (uWSGI)": ({"REQUEST_URI": "/sms%7E?x=%C3%A9"}, "/sms%7E?x=%C3%A9"),
    "absolute-form request line": (
        {"RAW_URI": "http://example.ngrok.app/sms?x=%27"},
        "/sms?x=%27",
    ),
    "rebuilt: path re-encoded, query raw": (
        {"PATH_INFO": "/caf\xc3\xa9 x", "QUERY_STRING": "x=it%27s"},
        "/caf%C3%A9%20x?x=it%27s",
    ),
    "rebuilt with a mount point": ({"SCRIPT_NAME": "/app", "PATH_INFO": "/sms"}, "/app/sms"),
    "rebuilt, nothing at all": ({}, "/"),
}


@pytest.mark.parametrize("environ, expected", ENVIRONS.values(), ids=ENVIRONS.keys())
def test_the_raw_request_uri_comes_from_the_server_else_from_the_environ(environ, expected):
    assert raw_request_uri(environ) == expected


# --- what a refusal shows -----------------------------------------------------------------------


def test_a_refused_get_never_shows_the_message_in_the_reply_or_the_log(servers, caplog):
    params = {"From": SENDER, "To": TWILIO_NUMBER, "Body": "my secret pin 4321"}
    target = "/sms?" + urlencode(params)
    port = int(servers["PUBLIC_URL"].url.rsplit(":", 1)[1])
    with caplog.at_level(logging.WARNING):
        status, reply = raw_request(port, "GET", target, {"X-Twilio-Signature": "forged="})
    assert status == 403
    assert reply == (
        f"Invalid X-Twilio-Signature for {PUBLIC_URL}/sms (query string left out): the request "
        "was forged, or Twilio signed a different URL (set PUBLIC_URL to the public https "
        "address Twilio calls).\n"
    )
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "(query string left out)" in logged
    assert "secret" not in logged and "secret" not in reply  # not "4321": a port can hold it


def test_the_local_mode_accepts_the_sdks_signature_on_the_raw_url_in_process():
    """In-process too (werkzeug's test client passes the raw URI), a GET with an emoji passes."""
    app = mode_app("local")
    target = "/sms?" + urlencode({"From": SENDER, "To": TWILIO_NUMBER, "Body": "🍪 it's"})
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature("http://localhost" + target, {})
    response = app.test_client().get(target, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200


def test_threads_do_not_share_state(servers):
    """Many concurrent signed requests all pass (the check keeps no state between requests)."""
    results = []

    def one(index):
        sim = simulator_for("PUBLIC_URL", servers["PUBLIC_URL"], "GET", "?n=%27")
        results.append(sim.conversation(f"+1212555{index:04d}", TWILIO_NUMBER).send("é").reply)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["Hello Friend, thanks for the message!"] * 8


@pytest.mark.slow
@pytest.mark.skipif(not production.available(), reason=str(production.UNAVAILABLE))
@pytest.mark.parametrize("mode", ["PUBLIC_URL", "proxy headers"])
def test_gunicorn_passes_the_raw_uri_and_the_webhook_accepts_it(mode):
    settings = {"TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN, "SECRET_KEY": "shared"}
    settings.update(
        {"PUBLIC_URL": PUBLIC_URL} if mode == "PUBLIC_URL" else {"TRUST_PROXY_HEADERS": "1"}
    )
    with production.Gunicorn(env=settings, workers=1) as service:
        statuses = []
        for method in ("POST", "GET"):
            for query in QUERIES:
                sim = signed_simulator(
                    service.url,
                    webhook_url=f"{PUBLIC_URL}/sms{query}",
                    method=method,
                    tunnel_headers=(mode == "proxy headers"),
                )
                conv = sim.conversation(SENDER, TWILIO_NUMBER)
                statuses += [conv.send(body).http_status for body in BODIES]
    assert statuses == [200] * len(statuses)


IN_PROCESS_URL = {
    "local": "http://localhost",
    "PUBLIC_URL": PUBLIC_URL,
    "proxy headers": PUBLIC_URL,
}


@settings(max_examples=60, deadline=None)
@given(
    body=st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    query=st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=8), max_size=3),
    method=st.sampled_from(["POST", "GET"]),
    mode=st.sampled_from(MODES),
)
def test_any_body_and_configured_query_pass_in_every_mode(body, query, method, mode):
    """In-process, whatever the text and the configured query string, genuine requests pass."""
    configured = "?" + urlencode(query, quote_via=quote) if query else ""
    sim = signed_simulator(
        mode_app(mode),
        webhook_url=f"{IN_PROCESS_URL[mode]}/sms{configured}",
        method=method,
        tunnel_headers=(mode == "proxy headers"),
    )
    delivery = sim.conversation(SENDER, TWILIO_NUMBER).send(body)
    assert delivery.http_status == 200, delivery.error
