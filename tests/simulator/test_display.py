"""What the learner sees: the transcript, the phone-style HTML chat, and the cookie state."""

from html import escape

import pytest
from flask import Flask, Response, request

from companion_app.simulator import FakeClock, TwilioSimulator
from tests.support.values import SENDER, TWILIO_NUMBER


def scripted_app():
    """A webhook whose reply depends on the message: 'fail', 'media', 'forward', or an echo."""
    app = Flask("scripted")

    @app.route("/sms", methods=["POST"])
    def scripted_reply():
        body = request.form["Body"]
        if body == "fail":
            return Response("oops", status=500)
        if body == "silence":
            return Response("<Response/>", mimetype="text/xml")
        if body == "media":
            twiml = "<Message><Body>a cat</Body><Media>https://e.com/cat.png</Media></Message>"
        elif body == "forward":
            twiml = '<Message to="+14155550101">pass it on</Message>'
        else:
            twiml = f"<Message>you said: {escape(body)}</Message>"
        response = Response(f"<Response>{twiml}</Response>", mimetype="text/xml")
        response.set_cookie("seen", body)
        return response

    return app


@pytest.fixture
def sim():
    """A simulator in front of the scripted webhook with a fixed clock."""
    return TwilioSimulator(scripted_app(), clock=FakeClock(), seed=0)


@pytest.fixture
def conv(sim):
    """A conversation with a bit of everything: replies, media, a forward, silence, an error, a new day."""
    conv = sim.conversation(from_=SENDER, to=TWILIO_NUMBER)
    conv.send("hello")
    sim.clock.advance(minutes=5)
    conv.send("pic", media=["https://e.com/me.jpg"])
    conv.send("media")
    conv.send("forward")
    conv.send("silence")
    sim.clock.advance(hours=15)
    conv.send("fail")
    return conv


TRANSCRIPT = """\
+14155550100 ↔ +14155550199
-- Monday 6 January 2025 --
09:00  +14155550100 → hello
09:00  +14155550199 ← you said: hello
09:05  +14155550100 → pic [media: https://e.com/me.jpg]
09:05  +14155550199 ← you said: pic
09:05  +14155550100 → media
09:05  +14155550199 ← a cat [media: https://e.com/cat.png]
09:05  +14155550100 → forward
09:05  +14155550199 → +14155550101: pass it on
09:05  +14155550100 → silence
-- Tuesday 7 January 2025 --
00:05  +14155550100 → fail
00:05  ✗ error 11200 (HTTP retrieval failure): the webhook answered HTTP 500"""


def test_the_transcript_shows_every_message_reply_and_error(conv):
    assert conv.transcript() == TRANSCRIPT
    assert str(conv) == TRANSCRIPT


def test_an_empty_conversation_says_so(sim):
    assert sim.conversation(SENDER, TWILIO_NUMBER).transcript() == (
        "+14155550100 ↔ +14155550199\n(no messages yet)"
    )


def test_the_simulator_transcript_has_every_conversation(sim):
    sim.conversation(SENDER, TWILIO_NUMBER).send("a")
    sim.conversation("+14155550101", TWILIO_NUMBER).send("b")
    assert sim.transcript() == (
        "+14155550100 ↔ +14155550199\n-- Monday 6 January 2025 --\n"
        "09:00  +14155550100 → a\n09:00  +14155550199 ← you said: a\n\n"
        "+14155550101 ↔ +14155550199\n-- Monday 6 January 2025 --\n"
        "09:00  +14155550101 → b\n09:00  +14155550199 ← you said: b"
    )


def test_a_delivery_prints_its_lines_and_a_short_repr(conv):
    first, *_, failed = conv.deliveries
    assert str(first) == "09:00  +14155550100 → hello\n09:00  +14155550199 ← you said: hello"
    assert repr(first) == "<Delivery 'hello': 'you said: hello'>"
    assert repr(conv.deliveries[4]) == "<Delivery 'silence': no reply>"
    assert repr(failed) == (
        "<Delivery 'fail': failed, error 11200 (HTTP retrieval failure): the webhook answered HTTP 500>"
    )
    assert repr(conv) == "<Conversation +14155550100 → +14155550199: 6 messages>"


def test_the_html_chat_is_a_phone_with_bubbles_timestamps_and_errors(conv):
    html = conv._repr_html_()
    assert html == conv._repr_html_()
    assert html.count("align-self:flex-end") == 6  # the sender's bubbles, on the right
    assert html.count("align-self:flex-start") == 4  # the replies, on the left
    assert "error 11200 (HTTP retrieval failure)" in html
    assert "Twilio number · texting from +14155550100" in html
    assert ">09:05<" in html and ">00:05<" in html
    assert "Tuesday 7 January 2025" in html
    assert "(to +14155550101) pass it on" in html
    assert "📎 https://e.com/cat.png" in html
    assert " id=" not in html and "<style" not in html and "<script" not in html


def test_the_html_escapes_what_the_webhook_wrote(sim):
    conv = sim.conversation(SENDER, TWILIO_NUMBER)
    conv.send("<b>&")
    html = conv._repr_html_()
    assert "you said: &lt;b&gt;&amp;" in html
    assert "<b>" not in html


def test_show_adds_the_cookie_state_on_demand(sim):
    conv = sim.conversation(SENDER, TWILIO_NUMBER)
    conv.send("hello")
    plain, with_cookies = conv.show(), conv.show(cookies=True)
    assert repr(plain) == conv.transcript()
    assert repr(with_cookies) == conv.transcript() + (
        "\n\ncookies:\n"
        "name  value  set at            expires at\n"
        "seen  hello  2025-01-06 09:00  2025-01-06 13:00"
    )
    assert "<table" not in plain._repr_html_()
    assert with_cookies._repr_html_().endswith(
        '<td style="border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top">'
        "2025-01-06 13:00</td></tr></table>"
    )


def test_cookies_set_yesterday_have_expired_by_the_morning(conv):
    assert repr(conv.show(cookies=True)).endswith("cookies:\n(no cookies)")
