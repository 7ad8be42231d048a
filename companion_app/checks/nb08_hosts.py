"""Notebook 08: one host of several, counting in a shared store and answering 503 when it is down."""

import re
import tempfile
from datetime import timedelta
from pathlib import Path

from companion_app.app.store import PairStore, StoreUnavailable
from companion_app.checks.cells import judges
from companion_app.checks.sms import TWILIO_NUMBER, reply_of
from companion_app.checks.verdict import (
    app_from,
    call_name,
    is_app,
    not_written,
    raising,
    run_check,
)
from companion_app.simulator import FakeClock, TwilioSimulator

HOST_SENDER, HOST_OTHER_SENDER = "+14155558000", "+14155558001"
HOST_WEBHOOK_URL = "https://sms.example.com/sms"


class DownStore:
    """A shared store that cannot be reached: every update raises StoreUnavailable."""

    def update(self, from_, to, change, message_sid=None):
        """Fail as a store that is down does."""
        raise StoreUnavailable("the conversation store is down")

    def state(self, from_, to):
        """Fail as a store that is down does."""
        raise StoreUnavailable("the conversation store is down")


def _take_turns(*apps):
    """A WSGI app passing each request to the next app in turn (a round-robin load balancer)."""
    turn = [0]

    def balance(environ, start_response):
        app = apps[turn[0] % len(apps)]
        turn[0] += 1
        return app(environ, start_response)

    return balance


def _made(title, make_host, store):
    """(app, None) from make_host(store), or (None, a failed Verdict saying what went wrong)."""
    return app_from(title, make_host, store, f"{call_name(make_host, 'make_host')}(store)")


@judges("make_host")
def check_shared_store_host(make_host):
    """Notebook 08: hosts from make_host(store) share the store, count a retry once, 503 when down."""
    title = "One host of several"
    missing = not_written(
        title,
        "make_host",
        make_host,
        "a function make_host(store) that returns a new app",
        lambda answer: callable(answer) and not is_app(answer),
    )
    if missing is not None:
        return missing
    with tempfile.TemporaryDirectory() as folder:
        store = PairStore(Path(folder) / "shared.db", FakeClock(), timedelta(hours=4))
        hosts = []
        for _ in range(2):
            app, failed = _made(title, make_host, store)
            if failed is not None:
                return failed
            hosts.append(app)
        down, failed = _made(title, make_host, DownStore())
        if failed is not None:
            return failed
        verdict = run_check(title, hosts[0], lambda verdict, _: _shared(verdict, hosts))
        if verdict:
            _down(verdict, down)  # not raising(): a StoreUnavailable let through is Flask's 500
    return verdict


def _shared(verdict, hosts):
    with raising(hosts[1]):
        sim = TwilioSimulator(
            _take_turns(*hosts), webhook_url=HOST_WEBHOOK_URL, clock=FakeClock(), seed=8
        )
        conv = sim.conversation(from_=HOST_SENDER, to=TWILIO_NUMBER)
        deliveries = [conv.send(text) for text in ("one", "two", "three")]
        replies = [reply_of(d) for d in deliveries]
        if not verdict.expect(
            "3 times" in replies[-1],
            "two hosts taking turns count one conversation right (3 times)",
            f"with two hosts taking turns the replies were {replies}: count in the store you are "
            "given (store.update), not in the app or the cookie",
        ):
            return
        other = reply_of(sim.conversation(from_=HOST_OTHER_SENDER, to=TWILIO_NUMBER).send("hi"))
        verdict.expect(
            re.search(r"\b([2-9]|\d\d+) times", other) is None,
            "another phone starts its own count",
            f"another phone got {other!r}: key the count by From and To",
        )
        sent = deliveries[-1].request
        retry = hosts[0].test_client().post("/sms", data=sent.params, headers=sent.headers)
        again = retry.get_data(as_text=True)
        verdict.expect(
            "3 times" in again,
            "Twilio's retry of the third message (same MessageSid) on the other host counts once",
            f"the retry of the third message (same MessageSid) answered {again.strip()[:80]!r}: "
            "pass the MessageSid to store.update so a message is counted once",
        )


def _down(verdict, app):
    sim = TwilioSimulator(app, webhook_url=HOST_WEBHOOK_URL, clock=FakeClock())
    delivery = sim.conversation(from_=HOST_SENDER, to=TWILIO_NUMBER).send("anyone there?")
    status = delivery.http_status
    if not verdict.expect(
        status == 503,
        "when the store is down it answers 503 (Twilio logs error 11200 and tries the Fallback URL)",
        f"when the store is down it answered HTTP {status}: catch StoreUnavailable and answer "
        "503, so Twilio knows the message was not handled",
    ):
        return
    retry_after = (delivery.http_headers or {}).get("Retry-After", "")
    verdict.expect(
        retry_after.isdigit(),
        f"with Retry-After: {retry_after}",
        "the 503 has no Retry-After header: say in how many seconds to try again "
        '(headers={"Retry-After": "30"})',
    )
