"""Notebook 03: a reset word, and a conversation that ends after one hour of silence."""

import re

from companion_app.checks.cells import judges
from companion_app.checks.differential import conversations, first_difference
from companion_app.checks.references import counter_reference
from companion_app.checks.sms import OTHER_SENDER, TWILIO_NUMBER, conversation, reply_of
from companion_app.checks.verdict import check_app


def counter_script(conv):
    """Send three messages and return the replies."""
    return [reply_of(conv.send(text)) for text in ("one", "two", "three")]


def is_first(reply):
    """True for the counter's reply to a first message."""
    return reply.startswith("Hello") and "thanks" in reply


def _says_reset(reply):
    """True for a reply that says the count is reset (and is not a count or an error)."""
    return "reset" in reply.lower() and "times" not in reply and not reply.startswith("error")


#: What generated conversations say: the word in several spellings, near misses, hostile text.
RESET_BODIES = (
    "hi", "reset", "RESET  ", " Reset", "reset\n", "reset it, please", "resetting", "re set",
    "<b>reset</b> & co", "ça va", "", "thanks!",
)  # fmt: skip


def counted(reply):
    """What a counter's reply says, whatever its words: the count, a reset, or the text itself."""
    found = re.search(r"(\d+) times", reply)
    if found:
        return ("count", int(found.group(1)))
    if is_first(reply):
        return ("count", 1)
    if _says_reset(reply):
        return ("reset",)
    return ("other", reply)


def _matches_the_reference(verdict, app, reference, bodies, silences, what, rule, stay=0.0):
    """The last step of a counter check: generated conversations, side by side with the reference
    (stay: how often a pair sends again at once, so a reset is followed by its next messages)."""
    if verdict.failed:
        return
    scripts = conversations(bodies, silences, stay=stay)
    steps = sum(len(script) for script in scripts)
    difference = first_difference(app, reference, scripts, counted)
    verdict.expect(
        difference is None,
        f"{len(scripts)} generated conversations ({steps} steps: pairs sharing a phone or a "
        f"number, {what}) count like the reference",
        f"in a generated conversation, {difference}: {rule}",
    )


@judges("reset_app")
def check_reset_command(app):
    """Notebook 03: "reset" clears the count, so the next message is thanked as the first."""
    title = "The reset command"
    return check_app(title, "reset_app", app, _resets)


def _resets(verdict, app):
    sim, conv = conversation(app)
    other = sim.conversation(from_=OTHER_SENDER, to=TWILIO_NUMBER)
    other.send("hi from Finn")
    replies = counter_script(conv)
    if not verdict.expect(
        "3 times" in replies[-1],
        "it still counts: the third message says 3 times",
        f"the third message got {replies[-1]!r}: keep the counter working (one count per "
        "pair, in the session)",
    ):
        return
    got = reply_of(conv.send("reset"))
    verdict.expect(
        _says_reset(got),
        "'reset' gets a reply that says the count is reset",
        f"'reset' got {got!r}: reply with a sentence that says the count is reset",
    )
    got = reply_of(conv.send("hello again"))
    verdict.expect(
        is_first(got),
        "the next message is thanked like a first message",
        f"the next message got {got!r}: remove the counter from the session on reset",
    )
    got = reply_of(conv.send("reset it, please"))
    verdict.expect(
        "times" in got and not _says_reset(got),
        "a message that only contains the word ('reset it, please') is counted, not a reset",
        f"'reset it, please' got {got!r}: reset only when the whole message is the word "
        "(compare with ==, not `in` or startswith)",
    )
    got = reply_of(conv.send("RESET  "))
    verdict.expect(
        _says_reset(got),
        "'RESET  ' works too (case and spaces do not matter)",
        f"'RESET  ' got {got!r}: compare Body.strip().lower()",
    )
    got = reply_of(conv.send(" Reset"))
    verdict.expect(
        _says_reset(got),
        "' Reset' with no count left to clear gets the same reply",
        f"' Reset' with nothing to clear got {got!r}: "
        + (
            "use session.pop('counter', None), which does not fail when the counter is already gone"
            if got.startswith("error")
            else "compare Body.strip().lower() with 'reset'"
        ),
    )
    got = reply_of(other.send("me again"))
    verdict.expect(
        "2 times" in got,
        "another pair's count is not touched by the reset (2 times)",
        f"another pair's next message got {got!r}: keep the count in that pair's session",
    )
    _matches_the_reference(
        verdict,
        app,
        counter_reference(reset=True),
        RESET_BODIES,
        (0.5, 2, 3.9, 4.1, 6),
        "resets, silences of 4 hours and more",
        "the count is each pair's own, a reset clears it for good, and 4 hours of silence end "
        "it: keep it in the pair's session, not in a variable of your own",
        stay=0.5,
    )


@judges("hour_app")
def check_one_hour_session(app):
    """Notebook 03: the conversation survives 59 minutes of silence but not 61."""
    title = "A one-hour conversation"
    return check_app(title, "hour_app", app, _one_hour)


def _one_hour(verdict, app):
    sim, conv = conversation(app)
    replies = counter_script(conv)
    if not verdict.expect(
        "3 times" in replies[-1],
        "it still counts: the third message says 3 times",
        f"the third message got {replies[-1]!r}: keep the counter working",
    ):
        return
    sim.clock.advance(minutes=59)
    got = reply_of(conv.send("still here"))
    verdict.expect(
        "4 times" in got,
        "after 59 minutes of silence the count goes on (4 times)",
        f"after 59 minutes the reply was {got!r}: the cookie should still be alive",
    )
    sim.clock.advance(minutes=59)
    got = reply_of(conv.send("and again"))
    verdict.expect(
        "5 times" in got,
        "59 more minutes later it still counts (5 times): each message starts a new hour",
        f"59 minutes after the last message (118 after the first) the reply was {got!r}: the "
        "hour counts from the last message; let Flask set the cookie's lifetime",
    )
    sim.clock.advance(minutes=61)
    got = reply_of(conv.send("back"))
    verdict.expect(
        is_first(got),
        "after 61 minutes of silence the conversation starts over",
        f"after 61 minutes the reply was {got!r}: set PERMANENT_SESSION_LIFETIME to one hour "
        "and session.permanent = True",
    )
    _matches_the_reference(
        verdict,
        app,
        counter_reference(lifetime=1),
        ("hi", "again", "ça va", "<b>x</b> & y", ""),
        (0.25, 0.95, 1.05, 2, 4.5),
        "silences just under and over an hour",
        "each pair counts on its own, and an hour of silence since its last message ends its "
        "count: keep it in the pair's session, not in a variable of your own",
    )
