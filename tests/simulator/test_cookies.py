"""The cookie jar Twilio keeps per From/To pair: expiry, deletion, refusal, and what is sent back."""

from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask, Response, request

from companion_app.simulator import CookieJar, FakeClock, TwilioSimulator
from companion_app.simulator.cookies import split_set_cookie
from tests.support.values import SENDER, TWILIO_NUMBER

START = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)


def jar_with(*headers):
    """A jar on a fresh FakeClock that has stored the given Set-Cookie headers."""
    clock = FakeClock()
    jar = CookieJar(clock)
    jar.store(headers)
    return jar, clock


def test_a_cookie_without_expiry_lasts_4_hours_after_it_was_set():
    jar, clock = jar_with("session=abc; HttpOnly; Path=/")
    (cookie,) = jar
    assert (cookie.name, cookie.value, cookie.set_at, cookie.expires_at) == (
        "session",
        "abc",
        START,
        START + timedelta(hours=4),
    )
    clock.advance(hours=3, minutes=59, seconds=59)
    assert jar.header() == "session=abc"
    clock.advance(seconds=1)
    assert jar.header() is None
    assert len(jar) == 0


def test_setting_a_cookie_again_restarts_its_4_hours():
    jar, clock = jar_with("session=one")
    clock.advance(hours=3)
    jar.store(["session=two"])
    clock.advance(hours=3)
    assert jar.header() == "session=two"


@pytest.mark.parametrize(
    "header, lifetime",
    [
        ("a=1; Max-Age=60", timedelta(seconds=60)),
        ("a=1; max-age=3600; Path=/", timedelta(hours=1)),
        ("a=1; Max-Age=86400", timedelta(hours=4)),
        ("a=1; Expires=Mon, 06 Jan 2025 10:30:00 GMT", timedelta(minutes=90)),
        ("a=1; Expires=Fri, 31 Dec 2027 23:59:59 GMT", timedelta(hours=4)),
        ("a=1; Max-Age=60; Expires=Fri, 31 Dec 2027 23:59:59 GMT", timedelta(seconds=60)),
        ("a=1; Max-Age=soon", timedelta(hours=4)),
        ("a=1; Expires=not a date", timedelta(hours=4)),
    ],
)
def test_max_age_and_expires_can_only_shorten_the_4_hours(header, lifetime):
    jar, _ = jar_with(header)
    assert [c.expires_at - c.set_at for c in jar] == [lifetime]


@pytest.mark.parametrize(
    "deletion",
    [
        "a=; Max-Age=0",
        "a=gone; Max-Age=-1",
        "a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/",
        "a=; Expires=Sun, 05 Jan 2025 09:00:00 GMT",
    ],
)
def test_max_age_0_or_a_past_date_deletes_the_cookie(deletion):
    jar, _ = jar_with("a=1", "b=2")
    jar.store([deletion])
    assert jar.header() == "b=2"


@pytest.mark.parametrize(
    "header, detail",
    [
        ("=value", "Set-Cookie with an empty name: '=value'"),
        ("  =value; Path=/", "Set-Cookie with an empty name: '  =value; Path=/'"),
        ("a=b\tc", "Set-Cookie 'a' contains the control character '\\t'"),
        ("a=b\rc", "Set-Cookie 'a' contains the control character '\\r'"),
        ("a=b\nc", "Set-Cookie 'a' contains the control character '\\n'"),
        ("a\x0b=b", "Set-Cookie 'a\\x0b' contains the control character '\\x0b'"),
        ("a=\x0cb", "Set-Cookie 'a' contains the control character '\\x0c'"),
    ],
)
def test_an_empty_name_or_a_control_character_is_refused_with_11206(header, detail):
    jar, _ = jar_with()
    error = jar.check(["ok=1", header])
    assert (error.code, error.message, error.detail) == (11206, "HTTP protocol violation", detail)
    jar.store([header])
    assert len(jar) == 0


def test_attributes_path_domain_secure_httponly_are_ignored():
    jar, _ = jar_with("a=1; Path=/elsewhere; Domain=other.example; Secure; HttpOnly; SameSite=Lax")
    assert jar.header() == "a=1"


def test_several_cookies_are_kept_by_name_and_sent_in_the_order_set():
    jar, _ = jar_with("a=1", "b=2")
    jar.store(["a=3"])
    assert jar.header() == "a=3; b=2"
    assert "b" in jar
    assert jar.get("a") == "3"
    assert jar.get("zzz", "none") == "none"


def test_values_are_sent_back_exactly_as_written():
    jar, _ = jar_with('q="x y"; Max-Age=60', "s=eyJjIjoxfQ.Z3.abc-_")
    assert jar.header() == 'q="x y"; s=eyJjIjoxfQ.Z3.abc-_'
    assert split_set_cookie("v=a b; Max-Age=5") == ("v", "a b", {"max-age": "5"})


def test_the_jar_prints_name_value_set_at_and_expires_at():
    jar, clock = jar_with("session=abc")
    clock.advance(minutes=30)
    jar.store(["lang=en; Max-Age=600"])
    assert str(jar) == (
        "name     value  set at            expires at\n"
        "session  abc    2025-01-06 09:00  2025-01-06 13:00\n"
        "lang     en     2025-01-06 09:30  2025-01-06 09:40"
    )
    assert repr(jar) == "<CookieJar [session, lang]>"
    assert "<td" in jar._repr_html_()
    jar.clear()
    assert str(jar) == "(no cookies)"


# --- through the simulator ---------------------------------------------------------------------


def cookie_app():
    """A webhook that sets the cookie named in ?set= and answers with the Cookie header it got."""
    app = Flask("cookie_app")

    @app.route("/sms", methods=["POST"])
    def echo_cookies():
        response = Response(request.headers.get("Cookie", "(none)"), mimetype="text/plain")
        status = int(request.form["Body"].partition(":")[0] or 200)
        response.status_code = status
        if ":" in request.form["Body"]:
            response.headers.add("Set-Cookie", request.form["Body"].partition(":")[2])
        return response

    return app


def pair(sim, from_=SENDER):
    """The conversation of from_ with the Twilio number."""
    return sim.conversation(from_=from_, to=TWILIO_NUMBER)


def test_each_pair_has_its_own_jar():
    sim = TwilioSimulator(cookie_app(), clock=FakeClock())
    pair(sim).send(":who=rey")
    pair(sim, "+14155550101").send(":who=finn")
    assert pair(sim).send("").reply == "who=rey"
    assert pair(sim, "+14155550101").send("").reply == "who=finn"
    assert sim.conversation("+14155550102", TWILIO_NUMBER).send("").reply == "(none)"


def test_cookies_from_an_error_response_are_not_stored():
    conv = pair(TwilioSimulator(cookie_app(), clock=FakeClock()))
    conv.send(":keep=1")
    failed = conv.send("500:lost=1")
    assert failed.error.code == 11200
    assert conv.send("").reply == "keep=1"


def test_a_refused_cookie_rejects_the_whole_response():
    conv = pair(TwilioSimulator(cookie_app(), clock=FakeClock()))
    refused = conv.send(":=nameless")
    assert (refused.error.code, refused.replies) == (11206, [])
    assert conv.send("").reply == "(none)"


def test_a_cookie_expires_4_hours_after_the_last_reply():
    sim = TwilioSimulator(cookie_app(), clock=FakeClock())
    conv = pair(sim)
    conv.send(":s=1")
    sim.clock.advance(hours=3)
    assert conv.send("").reply == "s=1"
    sim.clock.advance(hours=1)
    assert conv.send("").reply == "(none)"
