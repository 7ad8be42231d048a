"""The store interface on SQLite (one machine) and on a real Redis (several): the same promises.

Every contract test runs on both. The Redis tests talk to a real redis-server (Debian's
redis-server package), never a stand-in; they skip, saying what to install, when it is missing.
"""

import multiprocessing
import threading
from datetime import timedelta

import pytest

from companion_app import create_app
from companion_app.app.store import (
    PairStore,
    RedisPairStore,
    StoreUnavailable,
    open_store,
)
from companion_app.simulator import FakeClock
from tests.support.values import SENDER, TWILIO_NUMBER

OTHER = "+14155550101"
LIFETIME = timedelta(hours=8)


def add_one(state):
    """The counter's change."""
    return {**state, "counter": state.get("counter", 0) + 1}


def sid(n):
    """A MessageSid as Twilio writes one: SM and 32 hexadecimal digits."""
    return f"SM{n:032x}"


@pytest.fixture
def clock():
    """A clock that moves only when told."""
    return FakeClock()


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request, tmp_path):
    """A STORE_URL for each kind of store: a SQLite file, then a real (emptied) Redis."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'conversations.db'}"
    return request.getfixturevalue("redis_url")


@pytest.fixture
def store(store_url, clock):
    """The store that STORE_URL names, forgetting a pair after 8 hours of silence."""
    return open_store(store_url, clock, LIFETIME)


def count(store, from_=SENDER, to=TWILIO_NUMBER):
    """The pair's stored count (0 when none)."""
    return store.state(from_, to).get("counter", 0)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("sqlite:///conversations.db", PairStore),
        ("redis://127.0.0.1:6379/0", RedisPairStore),
        ("rediss://cache.example.com:6380/2", RedisPairStore),
    ],
)
def test_store_url_picks_the_store(url, kind, clock):
    assert type(open_store(url, clock, LIFETIME)) is kind


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://conversations.db", "write a SQLite file as sqlite:///conversations.db"),
        ("postgres://db/counts", "use sqlite:///conversations.db (one machine) or redis://"),
        ("conversations.db", "use sqlite:///conversations.db (one machine) or redis://"),
    ],
)
def test_a_store_url_it_cannot_use_says_what_to_write(url, message, clock):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        open_store(url, clock, LIFETIME)


def test_each_pair_has_its_own_count(store):
    for _ in range(3):
        store.update(SENDER, TWILIO_NUMBER, add_one)
    store.update(OTHER, TWILIO_NUMBER, add_one)
    store.update(SENDER, OTHER, add_one)
    assert (count(store), count(store, OTHER), count(store, SENDER, OTHER)) == (3, 1, 1)


@pytest.mark.parametrize(
    ("silence", "expected"),
    [(timedelta(hours=5), 3), (LIFETIME - timedelta(seconds=1), 3), (LIFETIME, 1)],
    ids=["5h", "just-under-8h", "8h"],
)
def test_a_pair_is_forgotten_after_its_lifetime_of_silence(store, clock, silence, expected):
    store.update(SENDER, TWILIO_NUMBER, add_one)
    store.update(SENDER, TWILIO_NUMBER, add_one)
    clock.advance(seconds=silence.total_seconds())
    assert store.update(SENDER, TWILIO_NUMBER, add_one) == {"counter": expected}


def test_a_retry_with_the_same_message_sid_is_counted_once(store):
    assert store.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(1)) == {"counter": 1}
    assert store.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(2)) == {"counter": 2}
    assert store.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(1)) == {"counter": 1}
    assert count(store) == 2


def test_a_retry_on_another_host_is_counted_once(store_url, clock):
    first_host, second_host = (open_store(store_url, clock, LIFETIME) for _ in range(2))
    first_host.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(1))
    assert second_host.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(1)) == {"counter": 1}
    assert second_host.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(2)) == {"counter": 2}


def test_a_change_that_fails_changes_nothing(store):
    store.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(1))

    def broken(state):
        raise RuntimeError("the webhook crashed")

    with pytest.raises(RuntimeError):
        store.update(SENDER, TWILIO_NUMBER, broken, message_sid=sid(2))
    assert store.update(SENDER, TWILIO_NUMBER, add_one, message_sid=sid(2)) == {"counter": 2}


def test_threads_of_several_hosts_texting_one_pair_at_once_are_all_counted(store_url, clock):
    hosts = [open_store(store_url, clock, LIFETIME) for _ in range(3)]

    def text(n):
        for m in range(20):
            message = sid(n * 100 + m)
            for host in hosts[n % 3 :] + hosts[: n % 3]:  # delivered, then retried on the others
                host.update(SENDER, TWILIO_NUMBER, add_one, message_sid=message)

    threads = [threading.Thread(target=text, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert count(hosts[0]) == 160


def _deliver_from_a_process(url, barrier, messages):
    store = RedisPairStore(url, FakeClock(), LIFETIME)
    barrier.wait(timeout=60)
    for message in messages:
        store.update(SENDER, TWILIO_NUMBER, add_one, message_sid=message)


@pytest.mark.slow
@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs fork (Linux, macOS)"
)
def test_processes_delivering_the_same_messages_at_once_count_each_once(redis_url):
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(12)
    messages = [sid(n) for n in range(50)]  # every process delivers all 50: 11 retries each
    processes = [
        context.Process(target=_deliver_from_a_process, args=(redis_url, barrier, messages))
        for _ in range(12)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * 12
    assert count(RedisPairStore(redis_url, FakeClock(), LIFETIME)) == 50


def test_redis_sets_an_expiry_on_every_key_it_holds(redis_url, clock):
    import redis

    RedisPairStore(redis_url, clock, LIFETIME).update(SENDER, TWILIO_NUMBER, add_one, sid(1))
    client = redis.Redis.from_url(redis_url)
    ttls = sorted(client.ttl(key) for key in client.keys("*"))
    assert len(ttls) == 2  # the pair and the message record
    assert all(LIFETIME.total_seconds() - 5 <= ttl <= LIFETIME.total_seconds() for ttl in ttls)


@pytest.mark.parametrize("method", ["update", "state"])
def test_redis_down_is_store_unavailable_naming_where(redis_server, redis_url, clock, method):
    store = RedisPairStore(redis_url, clock, LIFETIME)
    redis_server.stop()
    call = {"update": lambda: store.update(SENDER, TWILIO_NUMBER, add_one, sid(1))}.get(
        method, lambda: store.state(SENDER, TWILIO_NUMBER)
    )
    with pytest.raises(StoreUnavailable, match=f"store at {redis_url} is down"):
        call()


def store_app(store_url, clock):
    """The companion app with /sms/store on STORE_URL (signature checks off)."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "STORE_URL": store_url,
            "STORE_CLOCK": clock,
        }
    )


def post(app, message, from_=SENDER):
    """POST one message to /sms/store as Twilio would; (status, body, headers)."""
    response = app.test_client().post(
        "/sms/store",
        data={"From": from_, "To": TWILIO_NUMBER, "Body": "hi", "MessageSid": message},
    )
    return response.status_code, response.get_data(as_text=True), response.headers


def test_the_store_webhook_counts_once_per_message_and_sets_no_cookie(store_url, clock):
    app = store_app(store_url, clock)
    replies = [post(app, sid(n)) for n in (1, 2, 2, 3)]
    assert [body.split("<Message>")[1].split("</")[0] for _, body, _ in replies] == [
        "Hello Rey, thanks for the message!",
        f"Rey has messaged {TWILIO_NUMBER} 2 times.",
        f"Rey has messaged {TWILIO_NUMBER} 2 times.",  # Twilio's retry: what the first got
        f"Rey has messaged {TWILIO_NUMBER} 3 times.",
    ]
    assert not any("Set-Cookie" in headers for _, _, headers in replies)


def test_hosts_with_their_own_sqlite_files_do_not_share_counts(tmp_path, clock):
    one, two = (store_app(f"sqlite:///{tmp_path / name}.db", clock) for name in ("a", "b"))
    post(one, sid(1))
    assert "Hello Rey" in post(two, sid(2))[1]  # host two never heard of message one


def test_hosts_sharing_redis_share_counts(redis_url, clock):
    one, two = store_app(redis_url, clock), store_app(redis_url, clock)
    post(one, sid(1))
    assert f"messaged {TWILIO_NUMBER} 2 times" in post(two, sid(2))[1]


def test_redis_down_is_a_503_that_counts_nothing_and_redis_back_counts_on(
    redis_server, redis_url, clock
):
    app = store_app(redis_url, clock)
    post(app, sid(1))
    redis_server.stop()
    status, body, headers = post(app, sid(2))
    assert (status, body, headers["Retry-After"]) == (
        503,
        "The conversation store is unavailable, so this message was not counted.\n",
        "30",
    )
    redis_server.start()  # empty again: nothing is saved, so the count starts over
    assert "Hello Rey" in post(app, sid(2))[1]
