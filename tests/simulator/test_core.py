"""The simulator's requests, replies and errors, against small in-process webhooks."""

import time
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask, Response, request
from twilio.request_validator import RequestValidator

from companion_app.simulator import ERRORS, FakeClock, SystemClock, TwilioSimulator
from tests.support.values import (
    PUBLIC_URL,
    SENDER,
    TEST_AUTH_TOKEN,
    TWILIO_NUMBER,
    signed_simulator,
)

WEBHOOK_URL = PUBLIC_URL + "/sms"
TWIML_HELLO = "<Response><Message>hi</Message></Response>"


def webhook(*routes):
    """A Flask app answering each path with a fixed Response (or a function of the request).

    Routes are (path, answer) pairs or dicts of them; every request is recorded in config["SEEN"].
    """
    app = Flask("fake_webhook")
    seen = app.config["SEEN"] = []
    answers = {}
    for route in routes:
        answers.update(route if isinstance(route, dict) else [route])

    @app.route("/<path:path>", methods=["GET", "POST"])
    def answer(path):
        seen.append((request.method, request.full_path.rstrip("?"), dict(request.headers)))
        value = answers["/" + path]
        return value if isinstance(value, Response) else value(request)

    return app


def xml(text, status=200, **headers):
    """A TwiML answer."""
    return Response(text, status=status, mimetype="application/xml", headers=headers)


#: A simulator for app with the test token and a fixed clock and seed.
simulator = signed_simulator


def send(app, body="hello", **options):
    """Send one message from SENDER to TWILIO_NUMBER; return the delivery."""
    return simulator(app, **options).conversation(from_=SENDER, to=TWILIO_NUMBER).send(body)


# --- clocks and SIDs ---------------------------------------------------------------------------


def test_fake_clock_starts_at_a_fixed_instant_and_moves_only_when_told():
    clock = FakeClock()
    assert clock.now() == datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)
    assert clock.advance(hours=4, minutes=30) == datetime(2025, 1, 6, 13, 30, tzinfo=timezone.utc)
    assert clock.now() == datetime(2025, 1, 6, 13, 30, tzinfo=timezone.utc)


def test_fake_clock_refuses_naive_starts_and_going_back():
    with pytest.raises(ValueError, match="timezone-aware"):
        FakeClock(datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="only moves forward"):
        FakeClock().advance(seconds=-1)


def test_system_clock_is_aware_and_cannot_be_advanced():
    assert SystemClock().now().tzinfo is timezone.utc
    with pytest.raises(TypeError, match="use FakeClock"):
        SystemClock().advance(hours=1)


def test_sids_are_twilio_shaped_and_deterministic_from_the_seed():
    first = send(webhook({"/sms": xml(TWIML_HELLO)}))
    again = send(webhook({"/sms": xml(TWIML_HELLO)}))
    other = simulator(webhook(), seed=1)
    params = first.request.params
    assert params["MessageSid"] == again.request.params["MessageSid"]
    assert params["AccountSid"] == again.request.params["AccountSid"]
    assert other.account_sid != params["AccountSid"]
    for name, prefix in (("MessageSid", "SM"), ("AccountSid", "AC")):
        assert params[name][:2] == prefix
        assert len(params[name]) == 34
        int(params[name][2:], 16)


def test_each_message_gets_a_new_sid():
    conv = simulator(webhook({"/sms": xml(TWIML_HELLO)})).conversation(SENDER, TWILIO_NUMBER)
    assert conv.send("a").sid != conv.send("b").sid


# --- the request -------------------------------------------------------------------------------


def test_the_request_carries_twilios_full_parameter_set():
    delivery = send(webhook({"/sms": xml(TWIML_HELLO)}), "hello")
    assert delivery.request.method == "POST"
    assert delivery.request.url == WEBHOOK_URL
    sid = delivery.sid
    assert delivery.request.params == {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": delivery.request.params["AccountSid"],
        "From": SENDER,
        "To": TWILIO_NUMBER,
        "Body": "hello",
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
        "FromCity": "SAN FRANCISCO",
        "FromState": "CA",
        "FromZip": "94105",
        "FromCountry": "US",
        "ToCity": "SAN FRANCISCO",
        "ToState": "CA",
        "ToZip": "94105",
        "ToCountry": "US",
    }


def test_unknown_places_are_sent_empty_and_a_messaging_service_adds_its_sid():
    sim = simulator(webhook({"/sms": xml(TWIML_HELLO)}), messaging_service=True)
    params = sim.conversation("+33612345678", TWILIO_NUMBER).send("salut").request.params
    assert params["MessagingServiceSid"].startswith("MG")
    assert [params[f"From{part}"] for part in ("City", "State", "Zip", "Country")] == [""] * 4


def test_the_headers_are_twilios():
    app = webhook({"/sms": xml(TWIML_HELLO)})
    delivery = send(app)
    headers = app.config["SEEN"][0][2]
    assert headers["User-Agent"] == "TwilioProxy/1.1"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["X-Twilio-Signature"] == delivery.request.headers["X-Twilio-Signature"]
    assert "Cookie" not in headers


@pytest.mark.parametrize(
    "media, expected",
    [
        ((), {"NumMedia": "0"}),
        (
            ("https://example.com/cat.png", "https://example.com/clip.mp4"),
            {
                "NumMedia": "2",
                "MediaUrl0": "https://example.com/cat.png",
                "MediaContentType0": "image/png",
                "MediaUrl1": "https://example.com/clip.mp4",
                "MediaContentType1": "video/mp4",
            },
        ),
    ],
)
def test_media_are_sent_as_media_url_and_content_type(media, expected):
    conv = simulator(webhook({"/sms": xml(TWIML_HELLO)})).conversation(SENDER, TWILIO_NUMBER)
    params = conv.send("look", media=media).request.params
    assert {k: v for k, v in params.items() if k.startswith(("NumMedia", "Media"))} == expected


def test_a_single_media_url_may_be_given_as_a_string():
    conv = simulator(webhook({"/sms": xml(TWIML_HELLO)})).conversation(SENDER, TWILIO_NUMBER)
    params = conv.send("look", media="https://example.com/cat.gif").request.params
    assert (params["NumMedia"], params["MediaContentType0"]) == ("1", "image/gif")


@pytest.mark.parametrize(
    "body, segments",
    [
        ("", "1"),
        ("a" * 160, "1"),
        ("a" * 161, "2"),
        ("é" * 160, "1"),
        ("😀" * 35, "1"),  # 70 UTF-16 code units
        ("😀" * 36, "2"),  # 72 code units: 33 emoji (66 units) fit in each of 67
        ("😀" * 70, "3"),
    ],
)
def test_num_segments_follows_gsm7_and_ucs2_lengths(body, segments):
    assert send(webhook({"/sms": xml(TWIML_HELLO)}), body).request.params["NumSegments"] == segments


def test_a_body_longer_than_1600_characters_is_a_programming_error():
    with pytest.raises(ValueError, match="at most 1600 characters"):
        send(webhook(), "a" * 1601)


def test_get_puts_the_parameters_in_the_query_string_and_signs_only_the_url():
    app = webhook({"/sms": xml(TWIML_HELLO)})
    delivery = send(app, method="GET")
    method, path, headers = app.config["SEEN"][0]
    assert method == "GET"
    assert path.startswith("/sms?MessageSid=SM")
    assert "Content-Type" not in headers
    assert delivery.request.url == PUBLIC_URL + path
    assert RequestValidator(TEST_AUTH_TOKEN).validate(
        delivery.request.url, {}, headers["X-Twilio-Signature"]
    )


def test_the_webhook_urls_own_query_string_is_kept_and_signed():
    app = webhook({"/sms": xml(TWIML_HELLO)})
    sim = TwilioSimulator(
        app, webhook_url=WEBHOOK_URL + "?lang=en", auth_token=TEST_AUTH_TOKEN, clock=FakeClock()
    )
    delivery = sim.conversation(SENDER, TWILIO_NUMBER).send("hi")
    assert app.config["SEEN"][0][1] == "/sms?lang=en"
    assert RequestValidator(TEST_AUTH_TOKEN).validate(
        WEBHOOK_URL + "?lang=en",
        delivery.request.params,
        delivery.request.headers["X-Twilio-Signature"],
    )


def test_without_an_auth_token_no_signature_is_sent():
    app = webhook({"/sms": xml(TWIML_HELLO)})
    send(app, auth_token=None)
    assert "X-Twilio-Signature" not in app.config["SEEN"][0][2]


def test_tunnel_headers_say_what_the_public_url_was():
    app = webhook({"/sms": xml(TWIML_HELLO)})
    send(app, tunnel_headers=True)
    headers = app.config["SEEN"][0][2]
    assert (headers["X-Forwarded-Proto"], headers["X-Forwarded-Host"]) == (
        "https",
        "example.ngrok.app",
    )


def test_the_method_must_be_post_or_get():
    with pytest.raises(ValueError, match="'POST' or 'GET'"):
        simulator(webhook(), method="PUT")


# --- signatures --------------------------------------------------------------------------------


def test_twilio_pythons_published_signature_vector():
    sim = TwilioSimulator(webhook(), auth_token="12345")
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert sim.signature(url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_every_request_the_simulator_sends_passes_request_validator():
    app = webhook(
        (
            "/sms",
            xml('<Response><Message>1</Message><Redirect method="GET">/more</Redirect></Response>'),
        ),
        ("/more", Response("", status=307, headers={"Location": "/last"})),
        ("/last", Response("<Response/>", status=302, headers={"Location": "/end"})),
        ("/end", xml("<Response><Message>2</Message></Response>")),
    )
    delivery = send(app)
    validator = RequestValidator(TEST_AUTH_TOKEN)
    assert [(r.method, r.url.split("?")[0]) for r in delivery.requests] == [
        ("POST", WEBHOOK_URL),
        ("GET", PUBLIC_URL + "/more"),
        ("GET", PUBLIC_URL + "/last"),
        ("GET", PUBLIC_URL + "/end"),
    ]
    for sent in delivery.requests:
        params = sent.params if sent.method == "POST" else {}
        assert validator.validate(sent.url, params, sent.headers["X-Twilio-Signature"])
    assert [r.body for r in delivery.replies] == ["1", "2"]


# --- reading the reply -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, replies",
    [
        (xml(TWIML_HELLO), [("hi", ())]),
        (Response(TWIML_HELLO, mimetype="text/xml"), [("hi", ())]),
        (Response(TWIML_HELLO, mimetype="text/html"), [("hi", ())]),
        (Response("plain words\n", mimetype="text/plain"), [("plain words", ())]),
        (Response("", mimetype="text/plain"), []),
        (xml("<Response/>"), []),
        (Response(status=204), []),
        (
            xml("<Response><Message>  one  </Message><Message>two</Message></Response>"),
            [("one", ()), ("two", ())],
        ),
        (
            xml(
                "<Response><Message><Body>look</Body><Media>https://e.com/a.png</Media>"
                "<Media>https://e.com/b.png</Media></Message></Response>"
            ),
            [("look", ("https://e.com/a.png", "https://e.com/b.png"))],
        ),
        (
            xml("<Response><Message><Media>https://e.com/a.png</Media></Message></Response>"),
            [("", ("https://e.com/a.png",))],
        ),
        (xml("<Response><Say>ignored</Say><Message>kept</Message></Response>"), [("kept", ())]),
    ],
)
def test_replies_are_read_like_twilio(answer, replies):
    delivery = send(webhook({"/sms": answer}))
    assert delivery.error is None
    assert [(r.body, r.media) for r in delivery.replies] == replies
    assert delivery.status == ("replied" if replies else "no reply")


def test_replies_go_back_to_the_sender_unless_message_says_otherwise():
    answer = xml(
        '<Response><Message>back</Message><Message to="+14155550101">fwd</Message></Response>'
    )
    back, forward = send(webhook({"/sms": answer})).replies
    assert (back.to, back.from_) == (SENDER, TWILIO_NUMBER)
    assert (forward.to, forward.from_) == ("+14155550101", TWILIO_NUMBER)


@pytest.mark.parametrize(
    "answer, code, detail",
    [
        (
            Response("boom", status=500, mimetype="text/plain"),
            11200,
            "the webhook answered HTTP 500",
        ),
        (Response("no", status=403, mimetype="text/plain"), 11200, "the webhook answered HTTP 403"),
        (Response("?", status=404), 11200, "the webhook answered HTTP 404"),
        (Response("", status=304), 11200, "the webhook answered HTTP 304"),
        (
            Response("{}", mimetype="application/json"),
            12300,
            "the reply has application/json; Twilio reads XML, HTML or text/plain",
        ),
        (
            Response(b"x", headers={"Content-Type": ""}),
            12300,
            "the reply has no Content-Type; Twilio reads XML, HTML or text/plain",
        ),
        (xml("<Response><Message>hi</Message>"), 12100, None),
        (xml("not xml at all"), 12100, None),
        (
            xml("<Reply><Message>hi</Message></Reply>"),
            12102,
            "the root element is <Reply>, not <Response>",
        ),
        (xml("<Response>" + "<Message>x</Message>" * 4000 + "</Response>"), 11750, None),
        (Response(status=302), 11216, "HTTP 302 redirect without a Location header"),
        (
            Response(status=301, headers={"Location": "/sms"}),
            11215,
            "more than 10 redirects in a row",
        ),
        (
            Response("", status=200, headers={"Set-Cookie": "=nameless"}, mimetype="text/xml"),
            11206,
            "Set-Cookie with an empty name: '=nameless'",
        ),
        (
            Response("", status=200, headers={"Set-Cookie": "a=b\tc"}, mimetype="text/xml"),
            11206,
            "Set-Cookie 'a' contains the control character '\\t'",
        ),
    ],
)
def test_failures_are_results_with_twilios_code(answer, code, detail):
    delivery = send(webhook({"/sms": answer}))
    assert delivery.status == "failed"
    assert delivery.replies == []
    assert delivery.error.code == code
    assert delivery.error.message == ERRORS[code]
    if detail is not None:
        assert delivery.error.detail == detail


def test_the_11750_limit_is_64_kilobytes():
    padding = "<!--" + "x" * (64 * 1024 - len("<!---->" + TWIML_HELLO)) + "-->"
    assert send(webhook({"/sms": xml(padding + TWIML_HELLO)})).replies[0].body == "hi"
    assert send(webhook({"/sms": xml(padding + " " + TWIML_HELLO)})).error.code == 11750


def test_an_exception_in_the_webhook_is_an_11200_result():
    def crash(request):
        raise RuntimeError("bug")

    delivery = send(webhook({"/sms": crash}))
    assert (delivery.error.code, delivery.http_status) == (11200, 500)


def test_an_exception_propagated_by_a_testing_app_is_an_11200_result():
    app = webhook({"/sms": lambda request: 1 / 0})
    app.config["TESTING"] = True
    delivery = send(app)
    assert delivery.error.code == 11200
    assert delivery.error.detail == "the webhook raised ZeroDivisionError: division by zero"


def test_an_in_process_reply_slower_than_the_timeout_is_11205():
    def slow(request):
        time.sleep(0.2)
        return xml(TWIML_HELLO)

    delivery = send(webhook({"/sms": slow}), timeout=0.1)
    assert delivery.replies == []
    assert delivery.error.code == 11205
    assert delivery.error.detail.endswith("Twilio waits 0.1 s")


@pytest.mark.parametrize(
    "status, method", [(301, "GET"), (302, "GET"), (303, "GET"), (307, "POST"), (308, "POST")]
)
def test_redirects_are_followed(status, method):
    app = webhook(
        (
            "/sms",
            Response("", status=status, headers={"Location": "https://elsewhere.example/next?x=1"}),
        ),
        ("/next", xml(TWIML_HELLO)),
    )
    delivery = send(app)
    assert delivery.replies[0].body == "hi"
    assert app.config["SEEN"][1][0] == method
    assert delivery.requests[1].url.startswith("https://elsewhere.example/next?x=1")


def test_twiml_redirect_fetches_more_twiml_with_the_same_parameters():
    app = webhook(
        (
            "/sms",
            xml(
                "<Response><Message>first</Message><Redirect>/step2</Redirect><Message>never</Message></Response>"
            ),
        ),
        ("/step2", xml("<Response><Message>second</Message></Response>")),
    )
    delivery = send(app)
    assert [r.body for r in delivery.replies] == ["first", "second"]
    assert delivery.requests[1].method == "POST"
    assert delivery.requests[1].params == delivery.requests[0].params


@pytest.mark.parametrize(
    "attribute, method", [("", "POST"), (' method="get"', "GET"), (' method="PUT"', "POST")]
)
def test_twiml_redirect_uses_get_only_when_asked(attribute, method):
    app = webhook(
        ("/sms", xml(f"<Response><Redirect{attribute}>/next</Redirect></Response>")),
        ("/next", xml("<Response/>")),
    )
    send(app)
    assert app.config["SEEN"][1][0] == method


def test_a_reply_session_fetches_at_most_50_documents():
    app = webhook(
        {"/sms": xml("<Response><Message>again</Message><Redirect>/sms</Redirect></Response>")}
    )
    delivery = send(app)
    assert len(delivery.requests) == 50
    assert len(delivery.replies) == 50
    assert delivery.error.code == 14106
    assert delivery.status == "failed"


def test_a_failing_redirect_keeps_the_messages_already_sent():
    app = webhook(
        ("/sms", xml("<Response><Message>sent</Message><Redirect>/broken</Redirect></Response>")),
        ("/broken", Response("x", status=500)),
    )
    delivery = send(app)
    assert [r.body for r in delivery.replies] == ["sent"]
    assert delivery.error.code == 11200


def test_every_error_code_has_a_meaning_and_prints_with_it():
    assert set(ERRORS) == {11200, 11205, 11206, 11215, 11216, 11750, 12100, 12102, 12300, 14106}
    delivery = send(webhook({"/sms": Response("x", status=500)}))
    assert (
        str(delivery.error) == "error 11200 (HTTP retrieval failure): the webhook answered HTTP 500"
    )


def test_conversations_are_one_per_pair():
    sim = simulator(webhook())
    assert sim.conversation(SENDER, TWILIO_NUMBER) is sim.conversation(
        from_=SENDER, to=TWILIO_NUMBER
    )
    assert sim.conversation(SENDER, TWILIO_NUMBER) is not sim.conversation(
        "+14155550101", TWILIO_NUMBER
    )
    assert len(sim.conversations) == 2


def test_deliveries_remember_when_they_were_sent():
    sim = simulator(webhook({"/sms": xml(TWIML_HELLO)}))
    conv = sim.conversation(SENDER, TWILIO_NUMBER)
    first = conv.send("a")
    sim.clock.advance(minutes=5)
    assert conv.send("b").sent_at - first.sent_at == timedelta(minutes=5)
