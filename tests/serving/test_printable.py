"""printable and xml_safe: what a sender controls never forges a log line or breaks the XML reply."""

import xml.etree.ElementTree as ET  # noqa: S405 -- parses the project's own output

import pytest
from twilio.twiml.messaging_response import MessagingResponse

from companion_app.serving.printable import printable, xml_safe


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("hello", "hello"),
        ("Zoë ✅", "Zoë ✅"),
        ("a\nsignature valid", "a\\nsignature valid"),
        ("\r\t", "\\r\\t"),
        ("\x1b[2J", "\\x1b[2J"),
        ("\x7f\x85", "\\x7f\\x85"),
        ("\u2028\u202e", "\\u2028\\u202e"),
        (123, "123"),
    ],
)
def test_printable_shows_control_characters_as_escapes(text, shown):
    """One log line stays one line, and the terminal is never repainted."""
    assert printable(text) == shown
    assert len(printable(text).splitlines()) <= 1


@pytest.mark.parametrize("body", ["\x00", "\x1b[31m", "a\x0bb", "\ufffe", "&#0;", "&#x1F;", "ok"])
def test_xml_safe_replies_parse_as_xml(body):
    """Whatever the body, Python's XML parser reads the reply, and text XML allows is kept."""
    document = xml_safe(str(MessagingResponse().message(body).__class__.__name__ and _reply(body)))
    message = ET.fromstring(document).find("Message")  # noqa: S314
    assert message is not None
    if body == "ok":
        assert message.text == "ok"


def _reply(body):
    response = MessagingResponse()
    response.message(body)
    return str(response)
