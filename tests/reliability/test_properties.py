"""Properties (hypothesis): for any interleaving of pairs and clock advances, counts and cookies obey the rules.

- The counter: each pair's count equals its messages since its last gap of 4 hours or more.
- The cookie jar: a cookie lives 4 hours from when it was last set, or less as Max-Age says, and
  Max-Age=0 deletes it.
- Scoping: a cookie set for one From/To pair is never sent for another, even when the pairs share a
  number.
"""

from datetime import timedelta

from flask import Flask, Response, request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from companion_app import create_app
from companion_app.simulator import CookieJar, FakeClock, TwilioSimulator
from tests.support.values import PUBLIC_URL, TEST_AUTH_TOKEN, signed_simulator

FOUR_HOURS = timedelta(hours=4)
#: Rey, Finn and a stranger texting two Twilio numbers: pairs that share a From or a To.
PAIRS = [
    ("+14155550100", "+14155550199"),
    ("+14155550101", "+14155550199"),
    ("+14155550100", "+14155550198"),
    ("+14155557777", "+14155550198"),
]
#: Waits in minutes, crowded around the 4-hour edge.
WAITS = st.sampled_from([0, 1, 59, 120, 239, 240, 241, 24 * 60]) | st.integers(0, 600)

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.integers(0, len(PAIRS) - 1)),
        st.tuples(st.just("wait"), WAITS),
    ),
    max_size=30,
)

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    # clean_environment (autouse) only clears variables: sharing it between examples is fine.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

COUNTER_APP = create_app(
    {
        "SECRET_KEY": "property-secret-key",
        "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        "PUBLIC_URL": PUBLIC_URL,
        "ENV_FILE": None,
    }
)


def count_in(reply):
    """The count the counter webhook reported (1 for its thank-you)."""
    if reply.startswith("Hello "):
        return 1
    return int(reply.rsplit(" ", 2)[1])


def is_new_conversation(last_sent, pair, now):
    """True when the pair has not texted before, or not for 4 hours: its cookie is gone."""
    previous = last_sent.get(pair)
    return previous is None or now - previous >= FOUR_HOURS


@SETTINGS
@given(steps=STEPS)
def test_count_is_messages_since_the_last_four_hour_gap(steps):
    sim = signed_simulator(COUNTER_APP)
    last_sent, expected = {}, {}
    for action, value in steps:
        if action == "wait":
            sim.clock.advance(minutes=value)
            continue
        now = sim.clock.now()
        fresh = is_new_conversation(last_sent, value, now)
        expected[value] = 1 if fresh else expected[value] + 1
        last_sent[value] = now
        delivery = sim.conversation(*PAIRS[value]).send("hi")
        assert delivery.error is None
        assert count_in(delivery.reply) == expected[value]


def create_echo_app():
    """A webhook that replies with the 'owner' cookie it received and sets it to its own pair."""
    app = Flask("echo")

    @app.post("/sms")
    def echo_owner():
        """Say whose cookie came in; claim the cookie for this From/To pair."""
        owner = request.cookies.get("owner", "none")
        response = Response(
            f"<Response><Message>{owner}</Message></Response>", mimetype="application/xml"
        )
        response.set_cookie("owner", f"{request.form['From']}>{request.form['To']}")
        return response

    return app


ECHO_APP = create_echo_app()


@SETTINGS
@given(steps=STEPS)
def test_a_cookie_is_only_sent_for_its_own_pair(steps):
    sim = TwilioSimulator(ECHO_APP, clock=FakeClock(), seed=0)
    last_sent = {}
    for action, value in steps:
        if action == "wait":
            sim.clock.advance(minutes=value)
            continue
        now = sim.clock.now()
        from_, to = PAIRS[value]
        own = "none" if is_new_conversation(last_sent, value, now) else f"{from_}>{to}"
        last_sent[value] = now
        assert sim.conversation(from_, to).send("hi").reply == own


#: A Set-Cookie's lifetime attribute: none, Max-Age in seconds (0 and negative delete), or junk.
MAX_AGES = st.one_of(
    st.none(),
    st.integers(-60, 6 * 3600),
    st.sampled_from([0, 3600, 4 * 3600 - 1, 4 * 3600, 4 * 3600 + 1, 10**9]),
)
JAR_STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("set"), st.sampled_from(["a", "b"]), MAX_AGES),
        st.tuples(st.just("wait"), st.integers(0, 5 * 3600)),
    ),
    max_size=30,
)


@SETTINGS
@given(steps=JAR_STEPS)
def test_cookie_jar_expiry(steps):
    clock = FakeClock()
    jar = CookieJar(clock)
    model = {}  # name -> (value, expires_at)
    for n, (action, *args) in enumerate(steps):
        if action == "wait":
            clock.advance(seconds=args[0])
        else:
            name, max_age = args
            header = f"{name}=v{n}" + ("" if max_age is None else f"; Max-Age={max_age}")
            jar.store([header])
            lifetime = (
                FOUR_HOURS if max_age is None else min(FOUR_HOURS, timedelta(seconds=max_age))
            )
            if lifetime <= timedelta(0):
                model.pop(name, None)
            else:
                model[name] = (f"v{n}", clock.now() + lifetime)
        now = clock.now()
        alive = {name: value for name, (value, expires) in model.items() if now < expires}
        assert {cookie.name: cookie.value for cookie in jar} == alive
