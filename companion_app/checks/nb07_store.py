"""Notebook 07: a day-long conversation kept in a store on the server."""

import re

from companion_app.checks.cells import judges
from companion_app.checks.sms import TWILIO_NUMBER, reply_of
from companion_app.checks.verdict import Verdict, is_app, kind_of, not_written, raising, run_check
from companion_app.simulator import FakeClock, TwilioSimulator
from companion_app.teaching.verify import AUTH_TOKEN

STORE_SENDER, STORE_OTHER_NUMBER = "+14155557000", "+14155550198"
STORE_OTHER_SENDER = "+14155557001"
STORE_WEBHOOK_URL = "https://example.ngrok.app/sms"


def _call_name(make_app):
    """How the learner's function reads in a hint: its own name, or the exercise's for a lambda."""
    name = getattr(make_app, "__name__", "")
    return name if name.isidentifier() else "make_day_app"


def _made(title, make_app, clock):
    """(app, None) from make_app(clock), or (None, a failed Verdict saying what went wrong)."""
    call = f"{_call_name(make_app)}(clock)"
    try:
        app = make_app(clock)
    except Exception as error:  # the learner's bug, reported in words
        verdict = Verdict(title)
        verdict.fail(f"{call} raised {type(error).__name__}: {error}")
        return None, verdict
    if not is_app(app):
        verdict = Verdict(title)
        verdict.fail(f"{call} returned {kind_of(app)}: return the Flask app")
        return None, verdict
    return app, None


@judges("make_day_app")
def check_day_long_store(make_app):
    """Notebook 07: make_day_app(clock) keeps each pair's count on the server for 24 hours of silence."""
    title = "A day-long conversation on the server"
    missing = not_written(
        title,
        "make_day_app",
        make_app,
        "a function make_day_app(clock) that returns a new app",
        lambda answer: callable(answer) and not is_app(answer),
    )
    if missing is not None:
        return missing
    clock = FakeClock()
    app, failed = _made(title, make_app, clock)
    if failed is not None:
        return failed
    call = f"{_call_name(make_app)}(clock)"
    verdict = run_check(title, app, lambda verdict, app: _day_long(verdict, app, clock, call))
    if verdict:
        second, failed = _made(title, make_app, FakeClock())
        if failed is not None:
            return failed
        with raising(second):
            sim = TwilioSimulator(
                second, webhook_url=STORE_WEBHOOK_URL, auth_token=AUTH_TOKEN, clock=FakeClock()
            )
            got = reply_of(sim.conversation(from_=STORE_SENDER, to=TWILIO_NUMBER).send("new app"))
        verdict.expect(
            got.startswith("Hello"),
            f"a second app from {call} starts with an empty store of its own",
            f"a second app from {call} answered {got!r}: create the store inside "
            f"{_call_name(make_app)}, so each app gets a new one",
        )
    return verdict


def _day_long(verdict, app, clock, call):
    sim = TwilioSimulator(app, webhook_url=STORE_WEBHOOK_URL, auth_token=AUTH_TOKEN, clock=clock)
    conv = sim.conversation(from_=STORE_SENDER, to=TWILIO_NUMBER)
    replies = [reply_of(conv.send(text)) for text in ("one", "two", "three")]
    if not verdict.expect(
        "3 times" in replies[-1],
        "it counts: the third message says 3 times",
        f"the third message got {replies[-1]!r}: count each pair's messages (a new app and store "
        f"for every call of {call})",
    ):
        return
    clock.advance(hours=5)
    got = reply_of(conv.send("five hours later"))
    verdict.expect(
        "4 times" in got,
        "after 5 hours of silence the count goes on (4 times): it lives on the server",
        f"after 5 hours the reply was {got!r}: Twilio dropped the cookie, so keep the count in the "
        "store, keyed by (From, To)",
    )
    both = [reply_of(delivery) for delivery in conv.send_together(["at", "once"])]
    verdict.expect(
        any("5 times" in reply for reply in both) and any("6 times" in reply for reply in both),
        "two messages delivered at once are both counted (5 and 6 times): no lost update",
        f"two messages at once got {both}: read, add one and write back in one step on the server",
    )
    got = reply_of(sim.conversation(from_=STORE_SENDER, to=STORE_OTHER_NUMBER).send("hi"))
    other_phone = reply_of(sim.conversation(from_=STORE_OTHER_SENDER, to=TWILIO_NUMBER).send("hi"))
    verdict.expect(
        got.startswith("Hello") and other_phone.startswith("Hello"),
        "the same phone texting another of your numbers starts its own count, and so does "
        "another phone texting this number",
        f"the same phone texting another number got {got!r} and another phone texting this "
        f"number got {other_phone!r}: key the store by both From and To",
    )
    clock.advance(hours=23, minutes=59)
    got = reply_of(conv.send("almost a day"))
    counted = re.search(r"(\d+) times", got)
    verdict.expect(
        counted is not None,
        f"23 h 59 min after the last message it still counts ({counted and counted.group(1)} "
        "times)",
        f"23 h 59 min later the reply was {got!r}: keep a conversation for 24 hours after its "
        "last message",
    )
    clock.advance(hours=24, minutes=1)
    got = reply_of(conv.send("a day and a bit"))
    verdict.expect(
        got.startswith("Hello"),
        "24 h 1 min after the last message the conversation starts over",
        f"24 h 1 min later the reply was {got!r}: forget a pair 24 hours after its last message "
        "(each message renews the expiry), using the clock you were given",
    )
