"""NumSegments and SIDs against Twilio's published rules and 3GPP TS 23.038's alphabet.

Twilio's "SMS character limit" glossary and its segment calculator: GSM-7 bodies are counted in
septets (extension characters take 2), 160 in one segment, 153 per segment when concatenated; any
other character makes the body UCS-2, counted in UTF-16 code units, 70 and 67. A character is never
split across segments. Twilio's SID glossary: SM for a message, MM for one with media.
"""

import math

import pytest
from flask import Flask, Response
from hypothesis import given
from hypothesis import strategies as st

from companion_app.simulator.params import segments, septets
from tests.support.values import signed_simulator

#: 3GPP TS 23.038 §6.2.1, the GSM 7-bit default alphabet, in code order (0x1B is the escape).
BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: 3GPP TS 23.038 §6.2.1.1, the extension table (escape + one septet each).
EXTENSION = "\f^{}\\[~]|€"
PLAIN = BASIC.replace("\x1b", "")


def test_the_tables_are_the_standards_size():
    assert (len(BASIC), len(set(BASIC)), len(EXTENSION)) == (128, 128, 10)


def test_every_bmp_character_is_sized_as_the_standard_says():
    wrong = []
    for code in [*range(0xD800), *range(0xE000, 0x10000)]:  # no lone surrogates
        character = chr(code)
        expected = 1 if character in PLAIN else 2 if character in EXTENSION else None
        if septets(character) != expected:
            wrong.append((character, septets(character), expected))
    assert wrong == []


#: (body, NumSegments) from the published limits, worked by hand.
TABLE = {
    "empty": ("", 1),
    "160 GSM": ("a" * 160, 1),
    "161 GSM": ("a" * 161, 2),
    "306 GSM": ("a" * 306, 2),
    "307 GSM": ("a" * 307, 3),
    "é is GSM": ("é" * 160, 1),
    "80 braces = 160 septets": ("{" * 80, 1),
    "81 braces = 162 septets": ("{" * 81, 2),
    "79 a + € = 81 septets": ("a" * 79 + "€", 1),
    "159 a + € = 161 septets": ("a" * 159 + "€", 2),
    "153 euros = 306 septets, 76 a segment": ("€" * 153, 3),
    "form feed is 2": ("\f" * 80 + "a", 2),
    "70 UCS-2": ("中" * 70, 1),
    "71 UCS-2": ("中" * 71, 2),
    "134 UCS-2": ("中" * 134, 2),
    "135 UCS-2": ("中" * 135, 3),
    "35 emoji = 70 units": ("😀" * 35, 1),
    "36 emoji = 72 units": ("😀" * 36, 2),
    "70 emoji: 33 a segment": ("😀" * 70, 3),
    "one ç makes 160 a UCS-2": ("a" * 159 + "ç", 3),
    "one emoji makes 70 a UCS-2": ("a" * 68 + "😀", 1),
    "and 69 a + emoji is 71 units": ("a" * 69 + "😀", 2),
    "backtick is not GSM": ("`" + "a" * 70, 2),
    "66 a + skin-toned wave stays whole": ("a" * 66 + "👋🏽" + "a" * 10, 2),
    "CR LF is two GSM characters": ("\r\n" * 80, 1),
}


@pytest.mark.parametrize("body, expected", TABLE.values(), ids=TABLE.keys())
def test_num_segments_follow_twilios_limits(body, expected):
    assert segments(body) == expected


def sent_segments(body):
    """NumSegments as the simulator sends it to a webhook."""
    app = Flask("quiet")
    app.post("/sms")(lambda: Response("<Response/>", mimetype="text/xml"))
    delivery = signed_simulator(app).conversation("+14155550100", "+14155550199").send(body)
    return delivery.request.params["NumSegments"]


def test_the_webhook_receives_num_segments():
    assert [sent_segments(b) for b in ("hi", "😀" * 36, "{" * 81)] == ["1", "2", "2"]


@given(st.text(alphabet=PLAIN, max_size=1600))
def test_gsm_bodies_are_160_or_153_septets(body):
    expected = 1 if len(body) <= 160 else math.ceil(len(body) / 153)
    assert segments(body) == expected


@given(st.integers(1, 800), st.sampled_from(EXTENSION))
def test_extension_characters_take_two_septets_and_stay_whole(count, character):
    expected = 1 if 2 * count <= 160 else math.ceil(count / 76)
    assert segments(character * count) == expected


@given(st.sampled_from(["😀", "🍪", "𝄞"]), st.integers(1, 800))
def test_ucs2_counts_utf16_units_and_never_splits_a_surrogate_pair(emoji, count):
    expected = 1 if 2 * count <= 70 else math.ceil(count / 33)
    assert segments(emoji * count) == expected


@given(st.text(alphabet=PLAIN, max_size=200), st.sampled_from("中ç`ő"))
def test_one_character_outside_gsm_makes_the_whole_body_ucs2(body, other):
    size = len(body) + 1
    assert segments(body + other) == (1 if size <= 70 else math.ceil(size / 67))


# --- SIDs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "media, prefix", [((), "SM"), (("https://example.com/cat.png",), "MM")], ids=["SMS", "MMS"]
)
def test_a_message_with_media_has_an_mm_sid(media, prefix):
    app = Flask("quiet")
    app.post("/sms")(lambda: Response("<Response/>", mimetype="text/xml"))
    delivery = signed_simulator(app).conversation("+14155550100", "+14155550199").send("x", media)
    params = delivery.request.params
    assert delivery.sid[:2] == params["MessageSid"][:2] == params["SmsSid"][:2] == prefix
    assert len(delivery.sid) == 34
    int(delivery.sid[2:], 16)
