"""Drive a learner's webhook and a reference side by side over generated conversations.

A seeded generator writes each conversation: several pairs interleaved, silences around the
lifetime that matters, media with and without a caption, case and spaces, hostile text. Both apps
get the same messages at the same (fake) times, each through its own simulator (Twilio's cookie
jars, one per pair); what each phone receives is reduced to what the exercise asks for, and the
first difference becomes one sentence: what was sent, what came back, what was expected.
"""

import random
from dataclasses import dataclass, replace

from companion_app.simulator import FakeClock, TwilioSimulator
from companion_app.teaching.verify import outcome, quiet_logs

#: The seed of every generated conversation: a verdict is the same every run.
SEED = 20250106
#: Phones and Twilio numbers the generated pairs are made of (two pairs share a phone, two a number).
PHONES = ("+14155550100", "+14155550101", "+14155550102")
NUMBERS = ("+14155550199", "+14155550188")
PAIRS = (
    (PHONES[0], NUMBERS[0]),
    (PHONES[0], NUMBERS[1]),
    (PHONES[1], NUMBERS[0]),
    (PHONES[2], NUMBERS[1]),
)
#: A picture, sent alone or with a caption.
PICTURE = "https://example.com/cookie.jpg"


@dataclass(frozen=True)
class Message:
    """One generated event: a message of a pair (body, media), or a silence of `hours` for all."""

    pair: tuple = ()
    body: str = ""
    media: tuple = ()
    hours: float = 0

    def __str__(self):
        if not self.pair:
            return f"{self.hours:g} hours of silence"
        picture = " with a picture" if self.media else ""
        return f"{self.pair[0]} → {self.pair[1]}: {self.body!r}{picture}"


def conversations(
    bodies, silences, count=4, length=18, seed=SEED, pictures=0.15, stay=0.0, quiet=0.2
):
    """`count` generated conversations of `length` events, from these bodies and silences; with
    probability `stay` a message comes from the same pair as the one before (a pair's own
    multi-step exchanges, still interleaved with the others'); `quiet` is how often a silence
    comes instead of a message. bodies is a tuple to choose from,
    or a function (generator, the pair's earlier bodies, oldest first) -> body for conversations
    whose next step depends on the ones before (a MORE after a search)."""
    generator = random.Random(seed)  # noqa: S311 (a repeatable verdict, no secret)
    scripts = []
    for _ in range(count):
        script = []
        for _ in range(length):
            if script and generator.random() < quiet:
                script.append(Message(hours=generator.choice(silences)))
                continue
            media = (PICTURE,) if generator.random() < pictures else ()
            talking = [m.pair for m in script if m.pair]
            if stay and talking and generator.random() < stay:
                pair = talking[-1]
            else:
                pair = generator.choice(PAIRS)
            if callable(bodies):
                body = bodies(generator, tuple(m.body for m in script if m.pair == pair))
            else:
                body = generator.choice(bodies)
            script.append(Message(pair, body, media))
        scripts.append(script)
    return scripts


def _deliver(conversation, message):
    return outcome(conversation.send(message.body, media=message.media))


def first_difference(
    app,
    reference,
    scripts,
    observe,
    path="/sms",
    names=("your app", "the reference"),
    compose=None,
    judged=None,
):
    """None when app and reference agree on observe(reply) at every step, else one sentence.

    compose(body, last_reply) writes the text one side sends for a generated body (e.g. "the
    second entry of the list this phone last got", numbered as that side numbered it), from what
    that side last replied to the pair; judged(body, last_reference_reply) says whether a step is
    compared (a step whose right answer the exercise leaves open is sent, and only a Twilio error
    from the learner's app counts there).
    """
    with quiet_logs():
        for script in scripts:
            sims = [
                TwilioSimulator(
                    a, webhook_url=f"https://example.ngrok.app{path}", clock=FakeClock()
                )
                for a in (app, reference)
            ]
            sent, last = [], ({}, {})
            for message in script:
                if not message.pair:
                    for sim in sims:
                        sim.clock.advance(hours=message.hours)
                    sent.append(str(message))
                    continue
                bodies = [
                    message.body
                    if compose is None
                    else compose(message.body, side.get(message.pair))
                    for side in last
                ]
                open_step = judged is not None and not judged(
                    message.body, last[1].get(message.pair)
                )
                got, expected = (
                    _deliver(sim.conversation(*message.pair), replace(message, body=body))
                    for sim, body in zip(sims, bodies, strict=True)
                )
                last[0][message.pair], last[1][message.pair] = got, expected
                sent.append(str(replace(message, body=bodies[0])))
                failed = got.startswith("error") and not expected.startswith("error")
                if failed or (not open_step and observe(got) != observe(expected)):
                    return _sentence(sent, got, expected, names)
    return None


def _sentence(sent, got, expected, names):
    """What was sent (the last message, after how much before it), what came back, what was due."""
    before = len(sent) - 1
    history = (
        f"after {before} earlier step{'' if before == 1 else 's'} ({'; '.join(sent[-4:-1])})"
        if before
        else "as a first message"
    )
    return (
        f"{history}, {sent[-1]} got {got!r} from {names[0]}, where {names[1]} replied {expected!r}"
    )
