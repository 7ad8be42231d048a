"""Set-Cookie handling against RFC 6265 §5.2's text, with http.cookiejar as a second opinion where
it agrees with the RFC, and the simulator's documented choices for what Twilio leaves open."""

import email.message
import http.cookiejar
import urllib.request
from datetime import timedelta

import pytest
from flask import Flask, Response, request, session
from hypothesis import given
from hypothesis import strategies as st

from companion_app.simulator import CookieJar, FakeClock, TwilioSimulator
from tests.support.values import SENDER, TWILIO_NUMBER

PAST = "Thu, 01 Jan 1970 00:00:00 GMT"
FUTURE = "Fri, 01 Jan 2100 00:00:00 GMT"


def jar_after(*headers):
    """A jar on a FakeClock after storing these Set-Cookie headers in one response."""
    jar = CookieJar(FakeClock())
    jar.store(["a=old"])
    jar.store(list(headers))
    return jar


def lifetime(jar, name="a"):
    """How long the cookie `name` lives from now, or None when it is not in the jar."""
    found = [c for c in jar if c.name == name]
    return found[0].expires_at - found[0].set_at if found else None


#: (Set-Cookie header, the cookie "a" afterwards: (value, lifetime) or None), each from the RFC.
RFC_CASES = {
    # §5.2 step 2: no "=" in the name-value-pair: ignore the whole header (the old cookie stays).
    "no '=' is ignored": ("a", ("old", timedelta(hours=4))),
    "no '=' with attributes is ignored": ("a; Max-Age=0", ("old", timedelta(hours=4))),
    # §5.2 steps 1, 3, 4: split at the first "=", trim WSP.
    "value keeps later '='": ("a=x=y", ("x=y", timedelta(hours=4))),
    "WSP is trimmed": ("a = v  ; Max-Age=60", ("v", timedelta(seconds=60))),
    # §5.2.2: Max-Age; §5.3 step 3: Max-Age wins over Expires.
    "Max-Age=0 deletes": ("a=v; Max-Age=0", None),
    "negative Max-Age deletes": ("a=v; Max-Age=-1", None),
    "-0 deletes": ("a=v; Max-Age=-0", None),
    "Max-Age wins over a past Expires": (
        f"a=v; Expires={PAST}; Max-Age=60",
        ("v", timedelta(seconds=60)),
    ),
    "Max-Age wins over Expires after it": (f"a=v; Max-Age=0; Expires={FUTURE}", None),
    "non-digit Max-Age is ignored, Expires applies": (f"a=v; Max-Age=5s; Expires={PAST}", None),
    "'+' Max-Age is ignored": ("a=v; Max-Age=+0", ("v", timedelta(hours=4))),
    "empty Max-Age is ignored": ("a=v; Max-Age=", ("v", timedelta(hours=4))),
    "fraction Max-Age is ignored": ("a=v; Max-Age=0.5", ("v", timedelta(hours=4))),
    "the last Max-Age wins": ("a=v; Max-Age=0; Max-Age=60", ("v", timedelta(seconds=60))),
    # §5.2: attribute names are case-insensitive; unknown attributes are ignored, parsing goes on.
    "case-insensitive MAX-AGE": ("a=v; MAX-AGE=0", None),
    "after Priority": ("a=v; Priority=High; Max-Age=0", None),
    "after Partitioned": ("a=v; Secure; Partitioned; Max-Age=0", None),
    "after an unknown flag": ("a=v; Frobnicate; max-age=0", None),
    "past Expires after an unknown attribute": (f"a=v; Priority=Low; Expires={PAST}", None),
    # §5.2.1: an Expires that cannot be parsed is ignored.
    "unreadable Expires is ignored": ("a=v; Expires=someday", ("v", timedelta(hours=4))),
    # Twilio's cap: nothing lives longer than 4 hours.
    "a longer Max-Age is capped": ("a=v; Max-Age=86400", ("v", timedelta(hours=4))),
    "a huge Max-Age is capped": ("a=v; Max-Age=" + "9" * 40, ("v", timedelta(hours=4))),
    "a hugely negative Max-Age deletes": ("a=v; Max-Age=-" + "9" * 40, None),
    "a far Expires is capped": (
        "a=v; Expires=Fri, 31 Dec 9999 23:59:59 GMT",
        ("v", timedelta(hours=4)),
    ),
}


@pytest.mark.parametrize("header, expected", RFC_CASES.values(), ids=RFC_CASES.keys())
def test_set_cookie_follows_rfc_6265(header, expected):
    jar = jar_after(header)
    found = None if lifetime(jar) is None else (jar.get("a"), lifetime(jar))
    assert found == expected


def cookiejar_keeps(header):
    """Python's http.cookiejar's verdict: does a user agent keep the cookie "a" of this header?"""
    message = email.message.Message()
    message["Set-Cookie"] = header

    class Reply:
        def info(self):
            return message

    made = http.cookiejar.CookieJar().make_cookies(
        Reply(), urllib.request.Request("https://example.ngrok.app/sms")
    )
    return any(cookie.name == "a" for cookie in made)


#: Headers where http.cookiejar and RFC 6265 agree on whether the cookie is kept.
AGREED = [
    "a=v",
    "a=v; Max-Age=0",
    "a=v; Max-Age=-5",
    "a=v; Max-Age=60",
    "a=v; Priority=High; Max-Age=0",
    "a=v; Secure; Partitioned; Max-Age=0",
    "a=v; SameSite=None; Secure; Partitioned; Path=/; Max-Age=0",
    f"a=v; Expires={PAST}",
    f"a=v; Priority=High; Expires={PAST}",
    f"a=v; Path=/; Expires={PAST}; HttpOnly",
    f"a=v; Expires={FUTURE}",
    "a=v; MAX-AGE=0",
    "a=v; HttpOnly; Foo=bar; Max-Age=0",
]


@pytest.mark.parametrize("header", AGREED)
def test_the_jar_agrees_with_http_cookiejar(header):
    assert ("a" in jar_after(header)) is cookiejar_keeps(header)


# --- properties -----------------------------------------------------------------------------------

KNOWN = {"expires", "max-age", "domain", "path", "secure", "httponly"}
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-", min_size=1)
unknown_attributes = st.lists(
    st.tuples(
        names.filter(lambda n: n.lower() not in KNOWN),
        st.one_of(st.none(), st.text(alphabet="abcxyz0123 -", max_size=8)),
    ),
    max_size=5,
)


def attribute_text(pairs):
    """'; name=value' or '; name' for each pair."""
    return "".join(f"; {n}" if v is None else f"; {n}={v}" for n, v in pairs)


def random_case(text, flips):
    """text with the letters at the flipped positions upper-cased."""
    return "".join(c.upper() if i in flips else c for i, c in enumerate(text))


@given(
    before=unknown_attributes,
    after=unknown_attributes,
    seconds=st.integers(-(10**6), 10**6),
    flips=st.sets(st.integers(0, 6)),
)
def test_unknown_attributes_never_hide_max_age(before, after, seconds, flips):
    name = random_case("max-age", flips)
    header = f"a=v{attribute_text(before)}; {name}={seconds}{attribute_text(after)}"
    expected = None if seconds <= 0 else min(timedelta(seconds=seconds), timedelta(hours=4))
    assert lifetime(jar_after(header)) == expected


@given(
    value=st.text(max_size=6).filter(
        lambda v: (
            not (v.strip(" \t").lstrip("-").isdigit() and v.strip(" \t").isascii()) and ";" not in v
        )
    ),
    extra=unknown_attributes,
)
def test_a_max_age_that_is_not_digits_is_ignored_and_expires_applies(value, extra):
    header = f"a=v{attribute_text(extra)}; Max-Age={value}; Expires={PAST}"
    assert lifetime(jar_after(header)) is None


@given(extra=unknown_attributes, value=st.text(alphabet="abc=xyz", max_size=8))
def test_the_value_is_kept_whatever_attributes_follow(extra, value):
    jar = jar_after(f"a={value}{attribute_text(extra)}")
    assert jar.get("a") == value


# --- the choices where Twilio documents nothing ----------------------------------------------------


def setter(*cookies, once=False):
    """A webhook that sets these Set-Cookie headers (on the first request only when once=True)."""
    app = Flask("setter")

    @app.route("/<path:path>", methods=["POST"])
    def answer(path):
        response = Response(request.headers.get("Cookie", "(none)"), mimetype="text/plain")
        if not (once and request.headers.get("Cookie")):
            for cookie in cookies:
                response.headers.add("Set-Cookie", cookie)
        return response

    return app


def conversation(app, url="https://example.ngrok.app/sms"):
    """A conversation from SENDER to TWILIO_NUMBER with app behind url, on a FakeClock."""
    return TwilioSimulator(app, webhook_url=url, clock=FakeClock()).conversation(
        SENDER, TWILIO_NUMBER
    )


def test_path_domain_and_secure_do_not_stop_a_cookie_being_sent():
    conv = conversation(
        setter("a=1; Path=/elsewhere", "b=2; Domain=other.example", "c=3; Secure; HttpOnly"),
        url="http://127.0.0.1:5000/sms",
    )
    conv.send("one")
    assert conv.send("two").reply == "a=1; b=2; c=3"


def test_a_cookie_over_4096_bytes_is_ignored_and_the_old_one_stays():
    assert jar_after("a=" + "x" * 4095).get("a") == "x" * 4095  # name + value: 4096 bytes
    assert jar_after("a=" + "x" * 4096).get("a") == "old"  # 4097 bytes
    assert jar_after("a=" + "é" * 2048).get("a") == "old"  # 4097 bytes in UTF-8


def test_four_hours_count_from_when_the_cookie_was_set_not_from_the_last_message():
    conv = conversation(setter("a=1", once=True))
    conv.send("set it")
    for _ in range(3):
        conv.simulator.clock.advance(hours=1)
        assert conv.send("still here").reply == "a=1"
    conv.simulator.clock.advance(hours=1)
    assert conv.send("four hours after it was set").reply == "(none)"


def test_setting_again_restarts_the_four_hours():
    conv = conversation(setter("a=1"))
    conv.send("set it")
    for _ in range(6):
        conv.simulator.clock.advance(hours=3)
        assert conv.send("again").reply == "a=1"


def test_flask_partitioned_session_is_deleted_when_cleared():
    """Flask writes Max-Age=0 after Partitioned: SimpleCookie lost it, RFC 6265 does not."""
    app = Flask("partitioned")
    app.config.update(SECRET_KEY="k", SESSION_COOKIE_PARTITIONED=True, SESSION_COOKIE_SECURE=True)

    @app.post("/sms")
    def count():
        if request.form["Body"] == "reset":
            session.clear()
            return Response("<Response/>", mimetype="text/xml")
        session["n"] = session.get("n", 0) + 1
        return Response(
            f"<Response><Message>{session['n']}</Message></Response>", mimetype="text/xml"
        )

    conv = conversation(app)
    assert [conv.send("hi").reply for _ in range(2)] == ["1", "2"]
    reset = conv.send("reset")
    cleared = [h for h in reset_headers(app) if h.startswith("session=")]
    assert "Partitioned; Max-Age=0" in cleared[0] or "Max-Age=0" in cleared[0]
    assert "Partitioned" in cleared[0]
    assert reset.status == "no reply"
    assert len(conv.cookies) == 0
    assert conv.send("hi").reply == "1"


def reset_headers(app):
    """The Set-Cookie headers Flask sends when this app's session is cleared."""
    client = app.test_client()
    client.post("/sms", data={"Body": "hi"})
    return client.post("/sms", data={"Body": "reset"}).headers.getlist("Set-Cookie")
