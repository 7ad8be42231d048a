"""The URL parts that never reach the wire: an empty query ("…/sms?") and a fragment ("#ct=…").

Reference: twilio-python's RequestValidator.compute_signature on the URL the server received.
"""

from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from companion_app import create_app
from companion_app.serving.server import LocalServer
from tests.support.values import (
    PUBLIC_URL,
    SENDER,
    TEST_AUTH_TOKEN,
    TWILIO_NUMBER,
    signed_simulator,
)
from tests.support.wire import (
    BODIES,
    MODES,
    QUERIES,
    raw_request,
    simulator_for,
)

#: Configured queries beyond the shared ones: a raw space, "~!*()" and lower-case escapes, a flag
#: without "=", a quote, an empty query.
MORE_QUERIES = ["?sp=a%20b c", "?t=%7e~!*()", "?flag", "?x=it's", "?"]
#: Twilio's connection overrides, written as a URL fragment.
OVERRIDES = "#ct=1000&rt=5000&rc=2"
PARAMS = {"From": SENDER, "To": TWILIO_NUMBER, "Body": "it's me"}


def send_signed(servers, mode, signed_path, target):
    """POST PARAMS to target, signed by twilio-python for this mode's public URL + signed_path."""
    server = servers[mode]
    base = server.url if mode == "local" else PUBLIC_URL
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(base + signed_path, PARAMS)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
    }
    if mode == "proxy headers":
        headers.update({"X-Forwarded-Proto": "https", "X-Forwarded-Host": "example.ngrok.app"})
    return raw_request(server.port, "POST", target, headers, urlencode(PARAMS).encode())


@pytest.mark.parametrize(
    "signed_path, target, expected",
    [
        ("/sms?", "/sms", 200),  # what Twilio's CLI does: signs the "?", sends none
        ("/sms", "/sms?", 200),
        ("/sms?", "/sms?", 200),
        ("/sms?x", "/sms", 403),
        ("/sms", "/sms?x", 403),
        ("/sms?x=1", "/sms?x=1?", 403),
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_an_empty_query_is_the_same_url(servers, mode, signed_path, target, expected):
    status, reply = send_signed(servers, mode, signed_path, target)
    assert status == expected, reply


def recorded_server(seen):
    """The local-mode counter webhook on loopback, noting each raw target and signature."""
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN})

    def wsgi(environ, start_response):
        seen.append((environ["RAW_URI"], environ.get("HTTP_X_TWILIO_SIGNATURE")))
        return app(environ, start_response)

    return LocalServer(wsgi)


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("query", QUERIES + MORE_QUERIES)
def test_the_simulator_neither_sends_nor_signs_a_fragment(method, query):
    seen = []
    with recorded_server(seen) as server:
        url = f"{server.url}/sms{query}{OVERRIDES}"
        sim = signed_simulator(server.url, webhook_url=url, method=method)
        deliveries = [sim.conversation(SENDER, TWILIO_NUMBER).send(body) for body in BODIES]
    assert [d.http_status for d in deliveries] == [200] * len(BODIES)
    validator = RequestValidator(TEST_AUTH_TOKEN)
    for (target, signature), delivery in zip(seen, deliveries, strict=True):
        assert "#" not in target
        signed = delivery.request.params if method == "POST" else {}
        assert validator.compute_signature(server.url + target, signed) == signature


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("mode", MODES)
def test_a_webhook_url_with_connection_overrides_passes_in_every_mode(servers, mode, method):
    for query in QUERIES + MORE_QUERIES:
        sim = simulator_for(mode, servers[mode], method, query + OVERRIDES)
        delivery = sim.conversation(SENDER, TWILIO_NUMBER).send("café & 🍪")
        assert delivery.http_status == 200, (query, delivery.error)
        assert delivery.reply == "Hello Rey, thanks for the message!"
