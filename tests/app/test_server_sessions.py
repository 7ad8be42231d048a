"""Server-side sessions on a real Redis: the cookie holds only an id, the state lives in Redis.

Side by side with the signed cookie, as a user (Twilio) sees them: what the cookie reveals, what a
restart loses. The redis-server is Debian's package (skipped, saying so, when it is missing).
"""

import base64
import re

import pytest

from companion_app import create_app
from tests.support.values import SENDER, TWILIO_NUMBER


def counter_app(**config):
    """The /sms counter with a fixed key and signature checks off."""
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret-key", **config})


def text(client, body="hi"):
    """POST one message to /sms; the response."""
    return client.post("/sms", data={"From": SENDER, "To": TWILIO_NUMBER, "Body": body})


def reply(response):
    """The reply text of a TwiML response."""
    return re.search(r"<Message>(.*)</Message>", response.get_data(as_text=True)).group(1)


def session_cookie(response):
    """The value of the session cookie a response sets."""
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    return header.split(";")[0].split("=", 1)[1]


@pytest.fixture
def server_side(redis_url):
    """The counter with SESSION_STORE_URL on a real, emptied Redis."""
    return counter_app(SESSION_STORE_URL=redis_url)


def test_server_side_sessions_count_like_the_cookie(server_side):
    client = server_side.test_client()
    assert [reply(text(client)) for _ in range(3)][1:] == [
        f"Rey has messaged {TWILIO_NUMBER} 2 times.",
        f"Rey has messaged {TWILIO_NUMBER} 3 times.",
    ]


def test_the_cookie_holds_a_random_id_and_reveals_nothing(server_side):
    value = session_cookie(text(server_side.test_client()))
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)  # 32 random bytes, nothing else
    signed = session_cookie(text(counter_app().test_client()))
    payload = base64.urlsafe_b64decode(signed.split(".")[0] + "==")
    assert payload == b'{"counter":1}'  # the signed cookie: anyone holding it can read it


def test_the_state_lives_in_redis_for_four_hours(server_side, redis_url):
    import redis

    value = session_cookie(text(server_side.test_client()))
    client = redis.Redis.from_url(redis_url)
    assert client.get(f"sms-cookies:session:{value}") == b'{"counter": 1}'
    assert 4 * 3600 - 5 <= client.ttl(f"sms-cookies:session:{value}") <= 4 * 3600


def test_every_host_on_the_same_redis_continues_the_conversation(redis_url):
    hosts = [counter_app(SESSION_STORE_URL=redis_url) for _ in range(3)]
    cookie = None
    replies = []
    for n in range(6):
        client = hosts[n % 3].test_client()
        if cookie:
            client.set_cookie("session", cookie)
        response = text(client)
        cookie = session_cookie(response)
        replies.append(reply(response))
    assert replies[-1] == f"Rey has messaged {TWILIO_NUMBER} 6 times."


@pytest.mark.parametrize(
    "cookie",
    ["made-up", "A" * 43, "x" * 4000],
    ids=["malformed", "an-id-the-server-never-made", "huge"],
)
def test_an_id_the_server_did_not_make_is_never_adopted(server_side, cookie):
    client = server_side.test_client()
    client.set_cookie("session", cookie)
    response = text(client)
    assert reply(response) == "Hello Rey, thanks for the message!"
    assert session_cookie(response) != cookie


def test_a_host_restart_keeps_the_conversation_a_redis_restart_loses_it(redis_server, redis_url):
    client = counter_app(SESSION_STORE_URL=redis_url).test_client()
    text(client)
    restarted_host = counter_app(SESSION_STORE_URL=redis_url)  # a new process, same Redis
    client.application = restarted_host
    assert reply(text(client)) == f"Rey has messaged {TWILIO_NUMBER} 2 times."
    redis_server.stop()
    redis_server.start()  # this Redis saves nothing: what it held is gone
    assert reply(text(client)) == "Hello Rey, thanks for the message!"


def test_redis_down_is_a_503_with_retry_after(redis_server, redis_url):
    # TESTING off: as in production, the error reaches the app's handler instead of the test.
    client = counter_app(SESSION_STORE_URL=redis_url, TESTING=False).test_client()
    text(client)
    redis_server.stop()
    response = text(client)
    assert (response.status_code, response.headers["Retry-After"]) == (503, "30")
    assert response.get_data(as_text=True) == (
        "The conversation store is unavailable, so this message was not counted.\n"
    )


def test_redis_down_is_one_log_line_not_a_traceback(redis_server, redis_url, caplog):
    client = counter_app(SESSION_STORE_URL=redis_url, TESTING=False).test_client()
    redis_server.stop()
    with caplog.at_level("ERROR", logger="companion_app"):
        assert text(client).status_code == 503
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        f"POST /sms: the session store at {redis_url.rsplit('/', 1)[0]} is down"
    ]
    assert "Traceback" not in caplog.text
