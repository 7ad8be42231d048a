"""Server-side sessions in a SQLite file (SESSION_STORE_URL=sqlite:///…): one machine's hosts."""

import re

from companion_app import create_app
from companion_app.app.sessions import SQLiteSessionInterface
from tests.support.values import SENDER, TWILIO_NUMBER


def text(client):
    """POST one message to /sms; the response."""
    return client.post("/sms", data={"From": SENDER, "To": TWILIO_NUMBER, "Body": "hi"})


def test_two_hosts_share_sessions_in_one_file(tmp_path):
    config = {
        "TESTING": True,
        "SECRET_KEY": "k",
        "SESSION_STORE_URL": f"sqlite:///{tmp_path / 's.db'}",
    }
    first, second = create_app(config), create_app(config)
    assert isinstance(first.session_interface, SQLiteSessionInterface)
    one = text(first.test_client())
    value = one.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)
    client = second.test_client()
    client.set_cookie("session", value)
    assert "2 times" in text(client).get_data(as_text=True)
    assert first.session_interface.load(value) == {"counter": 2}


def test_an_expired_session_is_not_read(tmp_path):
    sessions = SQLiteSessionInterface(f"sqlite:///{tmp_path / 's.db'}")
    sessions.store("a" * 43, {"counter": 5}, seconds=-1)
    assert sessions.load("a" * 43) is None
