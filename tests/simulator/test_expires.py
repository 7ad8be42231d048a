"""Expires dates are lifetimes on the webhook's clock, whatever the simulator's clock says."""

from datetime import datetime, timedelta, timezone

from flask import Flask, Response, session

from companion_app.simulator import CookieJar, FakeClock, TwilioSimulator
from companion_app.simulator.cookies import expiry

NOW = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)
SERVER_NOW = datetime(2030, 5, 1, 12, 0, tzinfo=timezone.utc)


def test_expires_is_measured_from_the_servers_now():
    attributes = {"expires": "Wed, 01 May 2030 13:00:00 GMT"}
    assert expiry(attributes, NOW, server_now=SERVER_NOW) == NOW + timedelta(hours=1)


def test_expires_in_the_servers_past_deletes():
    attributes = {"expires": "Wed, 01 May 2030 11:00:00 GMT"}
    assert expiry(attributes, NOW, server_now=SERVER_NOW) is None


def test_expires_beyond_four_hours_is_capped():
    attributes = {"expires": "Thu, 02 May 2030 12:00:00 GMT"}
    assert expiry(attributes, NOW, server_now=SERVER_NOW) == NOW + timedelta(hours=4)


def test_jar_measures_expires_from_the_servers_now():
    jar = CookieJar(FakeClock(NOW))
    jar.store(["a=1; Expires=Wed, 01 May 2030 12:30:00 GMT"], server_now=SERVER_NOW)
    assert [c.expires_at - c.set_at for c in jar] == [timedelta(minutes=30)]


def one_hour_counter():
    """A counter whose permanent session lasts one hour: Flask sends only an Expires date."""
    app = Flask("hour")
    app.config.update(SECRET_KEY="k", PERMANENT_SESSION_LIFETIME=timedelta(hours=1))

    @app.post("/sms")
    def count():
        session.permanent = True
        session["n"] = session.get("n", 0) + 1
        return Response(
            f"<Response><Message>{session['n']}</Message></Response>", mimetype="text/xml"
        )

    return app


def test_flask_permanent_session_expires_on_the_fake_clock():
    sim = TwilioSimulator(one_hour_counter(), clock=FakeClock())
    conv = sim.conversation(from_="+14155550100", to="+14155550199")
    assert [conv.send().replies[0].body for _ in range(2)] == ["1", "2"]
    sim.clock.advance(minutes=59)
    assert conv.send().replies[0].body == "3"
    sim.clock.advance(minutes=61)
    assert conv.send().replies[0].body == "1"
