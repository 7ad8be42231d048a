"""The cached session interface signs and checks exactly as Flask's own does."""

from datetime import timedelta

import pytest
from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface

from companion_app.app.sessions import CachedSessionInterface

STATES = [
    {"counter": 6},
    {"directory": {"step": "choose", "ids": [1, 2, 4, 5, 6]}},
    {"note": "é" * 300},  # long and repetitive: compressed
    {"when": (1, 2), "raw": b"\x00\xff"},  # Flask's tagged types
]


def make_app(interface, key="key-one", fallbacks=()):
    """A tiny Flask app that stores and shows one session value."""
    app = Flask("sessions")
    app.config.update(SECRET_KEY=key, SECRET_KEY_FALLBACKS=list(fallbacks))
    app.permanent_session_lifetime = timedelta(hours=4)
    app.session_interface = interface

    @app.post("/set")
    def set_state():
        session.update(app.config["NEXT_STATE"])
        return "ok"

    @app.get("/show")
    def show_state():
        app.config["SEEN"] = dict(session)
        return "ok"

    return app


def cookie_from(app, state):
    """The session cookie app sets for state."""
    app.config["NEXT_STATE"] = state
    client = app.test_client()
    client.post("/set")
    return client.get_cookie("session").value


def shown_by(app, cookie):
    """What app reads from a session cookie."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    client.get("/show")
    return app.config["SEEN"]


@pytest.mark.parametrize("state", STATES)
def test_flask_reads_our_cookies_and_we_read_flasks(state):
    ours, flasks = make_app(CachedSessionInterface()), make_app(SecureCookieSessionInterface())
    assert shown_by(flasks, cookie_from(ours, state)) == state
    assert shown_by(ours, cookie_from(flasks, state)) == state


@pytest.mark.parametrize("state", STATES)
def test_a_cookie_signed_with_another_key_is_refused_by_both(state):
    stranger = make_app(SecureCookieSessionInterface(), key="someone-else")
    cookie = cookie_from(stranger, state)
    for interface in (CachedSessionInterface(), SecureCookieSessionInterface()):
        assert shown_by(make_app(interface), cookie) == {}


def test_a_changed_key_is_picked_up_and_a_fallback_still_reads():
    interface = CachedSessionInterface()
    app = make_app(interface)
    old = cookie_from(app, {"counter": 1})
    app.config["SECRET_KEY"] = "key-two"
    assert shown_by(app, old) == {}
    app.config["SECRET_KEY_FALLBACKS"] = ["key-one"]
    assert shown_by(app, old) == {"counter": 1}
