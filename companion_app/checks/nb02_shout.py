"""Notebook 02: an SMS webhook that shouts the message back."""

from companion_app.checks.cells import judges
from companion_app.checks.sms import PICTURE, conversation, reply_of
from companion_app.checks.verdict import check_app


@judges("shout")
def check_shout_webhook(app):
    """Notebook 02: POST /sms replies with the text in capitals, or asks for words when it is empty."""
    title = "Shout back"
    return check_app(title, "shout", app, _shouts)


#: (message, the reply it should get, the hint when it does not).
SHOUTS = [
    ("hello", "HELLO", "reply with the message's Body in capitals: body.upper()"),
    ("Cookies are great!", "COOKIES ARE GREAT!", "reply with the message's Body in capitals"),
    ("ça va? 3 amis", "ÇA VA? 3 AMIS", "reply with whatever was sent, in capitals"),
    (
        "fish & chips <3",
        "FISH & CHIPS <3",
        "build the reply with MessagingResponse, which escapes & and < in the XML",
    ),
]


def _shouts(verdict, app):
    sim, conv = conversation(app)
    for body, expected, hint in SHOUTS:
        got = reply_of(conv.send(body))
        verdict.expect(
            got == expected,
            f"{body!r} gets {expected!r}",
            f"{body!r} got {got!r}, not {expected!r}: {hint}",
        )
    got = reply_of(conv.send(""))
    verdict.expect(
        got == "Send me some words!",
        "an empty message gets 'Send me some words!'",
        f"an empty message got {got!r}: check for an empty Body first",
    )
    got = reply_of(conv.send("", media=PICTURE))
    verdict.expect(
        got == "Send me some words!",
        "a picture with no text gets 'Send me some words!' too",
        f"a picture with no text got {got!r}: read the Body with request.form.get('Body', '') "
        "and check it is empty",
    )
    got = reply_of(conv.send("look at this", media=PICTURE))
    verdict.expect(
        got == "LOOK AT THIS",
        "a picture with a caption gets the caption in capitals",
        f"a picture with the caption 'look at this' got {got!r}: a picture can come with words; "
        "decide by the Body alone (empty or not), not by NumMedia",
    )
