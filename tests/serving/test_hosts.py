"""Three app hosts (gunicorn, own ports and folders) behind a real nginx, sharing a real Redis.

What Twilio sees through the load balancer: signatures checked against the public URL, one
conversation answered by different hosts and counted right, a host dying mid-conversation. The
servers are the system's (Debian's nginx-light and redis-server); without them these tests skip and
say what to install.
"""

from collections import Counter

import pytest
import requests

from companion_app.serving import hosts as hosts_module
from companion_app.serving.hosts import Hosts, LoadBalancer
from tests.support.values import SENDER, TEST_AUTH_TOKEN, TWILIO_NUMBER, signed_simulator

PUBLIC = "https://sms.example.com"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fleet(redis_server):
    """Three hosts (one worker each, one SECRET_KEY, STORE_URL on Redis) behind nginx."""
    reasons = hosts_module.missing()
    if reasons:
        pytest.skip(reasons[0])
    env = {
        "SECRET_KEY": "shared-by-every-host",
        "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        "TRUST_PROXY_HEADERS": "on",
        "STORE_URL": redis_server.url,
    }
    with Hosts(3, env=env) as hosts, LoadBalancer(hosts.urls, PUBLIC) as balancer:
        yield hosts, balancer


def answered_by(hosts, number):
    """How many messages of the load each host logged (host name -> count)."""
    return Counter(
        f"host {n}"
        for n in range(1, len(hosts) + 1)
        for line in hosts.log(n).splitlines()
        if f"message {number} ->" in line
    )


@pytest.mark.parametrize("path", ["/sms", "/sms/store"])
def test_one_conversation_lands_on_every_host_and_counts_right(fleet, redis_url, path):
    hosts, balancer = fleet
    number = "+14155553001" if path == "/sms" else "+14155553002"
    sim = signed_simulator(balancer.url, webhook_url=f"{PUBLIC}{path}")
    conversation = sim.conversation(from_=number, to=TWILIO_NUMBER)
    replies = [conversation.send(f"message {n}").reply for n in range(1, 10)]
    assert replies[-1] == f"Friend has messaged {TWILIO_NUMBER} 9 times."
    assert answered_by(hosts, number) == {"host 1": 3, "host 2": 3, "host 3": 3}


def test_each_answer_names_its_host(fleet):
    hosts, balancer = fleet
    names = [
        hosts.name_of(requests.post(f"{balancer.url}/sms", timeout=5).headers["X-Upstream"])
        for _ in range(3)
    ]
    assert sorted(names) == ["host 1", "host 2", "host 3"]


@pytest.mark.parametrize(
    ("signed_for", "status"),
    [(PUBLIC, 200), ("https://evil.example.com", 403), ("http://127.0.0.1", 403)],
)
def test_hosts_check_the_signature_against_the_public_url(fleet, signed_for, status):
    hosts, balancer = fleet
    sim = signed_simulator(balancer.url, webhook_url=f"{signed_for}/sms", tunnel_headers=True)
    assert sim.conversation(from_=SENDER, to=TWILIO_NUMBER).send("hi").http_status == status


def test_a_retry_that_lands_on_another_host_counts_once(fleet, redis_url):
    # (redis_url empties Redis first: every simulator here makes the same MessageSids.)
    hosts, balancer = fleet
    sim = signed_simulator(balancer.url, webhook_url=f"{PUBLIC}/sms/store")
    conversation = sim.conversation(from_="+14155553003", to=TWILIO_NUMBER)
    first = conversation.send("hello")
    sent = first.request
    again = [
        requests.post(
            f"{balancer.url}/sms/store", data=sent.params, headers=sent.headers, timeout=5
        )
        for _ in range(2)  # Twilio's retries: the same request, the same MessageSid
    ]
    assert [r.status_code for r in again] == [200, 200]
    assert len({hosts.name_of(r.headers["X-Upstream"]) for r in again}) == 2
    assert "Hello Friend" in again[1].text
    assert conversation.send("again").reply == f"Friend has messaged {TWILIO_NUMBER} 2 times."


def test_a_host_that_dies_mid_conversation_loses_nothing(redis_server, redis_url):
    reasons = hosts_module.missing()
    if reasons:
        pytest.skip(reasons[0])
    env = {"SECRET_KEY": "k", "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN, "TRUST_PROXY_HEADERS": "on"}
    env["STORE_URL"] = redis_server.url
    with Hosts(3, env=env) as hosts, LoadBalancer(hosts.urls, PUBLIC) as balancer:
        sim = signed_simulator(balancer.url, webhook_url=f"{PUBLIC}/sms/store")
        conversation = sim.conversation(from_="+14155553004", to=TWILIO_NUMBER)
        replies = [conversation.send("before").reply for _ in range(4)]
        hosts.kill(2)
        replies += [conversation.send("after").reply for _ in range(5)]
    assert [d.error for d in conversation.deliveries] == [None] * 9
    assert replies[-1] == f"Friend has messaged {TWILIO_NUMBER} 9 times."
