"""Notebook 02, Exercise 1, shout back: shout."""

from flask import Flask, Response, request

from tests.answer_bank import right, twiml, wrong

CHECK = "check_shout_webhook"


def webhook(reply, methods=("POST",)):
    """A /sms webhook whose response is reply(form)."""
    app = Flask("shout")
    app.add_url_rule("/sms", "shout_back", lambda: reply(request.values), methods=list(methods))
    return app


def shout(form):
    """The notebook's answer."""
    body = form.get("Body", "").strip()
    return twiml(body.upper() if body else "Send me some words!")


def hand_built_xml(form):
    """TwiML written as an f-string: & and < break it."""
    body = form.get("Body", "")
    text = body.upper() if body else "Send me some words!"
    return Response(f"<Response><Message>{text}</Message></Response>", mimetype="text/xml")


def hard_coded(form):
    """The check's two examples, copied."""
    answers = {"hello": "HELLO", "Cookies are great!": "COOKIES ARE GREAT!"}
    return twiml(answers.get(form.get("Body", ""), "Send me some words!"))


def praises_pictures(form):
    """A picture gets its own reply instead of the one the exercise asks for."""
    if form.get("NumMedia", "0") != "0":
        return twiml("Nice picture!")
    return shout(form)


ANSWERS = [
    right(CHECK, "the notebook's answer", lambda: (webhook(shout),)),
    right(
        CHECK,
        "values.get or '' and no strip",
        lambda: (
            webhook(
                lambda f: twiml((f.get("Body") or "").upper() or "Send me some words!"),
                methods=("GET", "POST"),
            ),
        ),
    ),
    right(
        CHECK,
        "a text/plain reply (Twilio sends it as the message)",
        lambda: (
            webhook(
                lambda f: Response(
                    f.get("Body", "").upper() or "Send me some words!", mimetype="text/plain"
                )
            ),
        ),
    ),
    wrong(CHECK, "not written yet", lambda: (None,), "`shout` is not written yet"),
    wrong(
        CHECK,
        "echoes without capitals",
        lambda: (webhook(lambda f: twiml(f.get("Body") or "Send me some words!")),),
        "'hello' got 'hello', not 'HELLO'",
    ),
    wrong(
        CHECK,
        "title case",
        lambda: (webhook(lambda f: twiml(f.get("Body", "").title() or "Send me some words!")),),
        "'hello' got 'Hello', not 'HELLO'",
    ),
    wrong(
        CHECK,
        "TwiML as an f-string, not escaped",
        lambda: (webhook(hand_built_xml),),
        "build the reply with MessagingResponse, which escapes & and <",
    ),
    wrong(
        CHECK,
        "the check's examples hard-coded",
        lambda: (webhook(hard_coded),),
        "reply with whatever was sent, in capitals",
    ),
    wrong(
        CHECK,
        "no reply for an empty message",
        lambda: (webhook(lambda f: twiml(f.get("Body", "").upper())),),
        "an empty message got '(no reply)': check for an empty Body first",
    ),
    wrong(
        CHECK,
        "a picture gets another reply",
        lambda: (webhook(praises_pictures),),
        "a picture with no text got 'Nice picture!'",
    ),
    wrong(
        CHECK,
        "a GET route only",
        lambda: (webhook(shout, methods=("GET",)),),
        "'hello' got 'error 11200 (HTTP retrieval failure): the webhook answered HTTP 405'",
    ),
    wrong(
        CHECK,
        "'Send me some words!' chosen by NumMedia",
        lambda: (webhook(words_by_num_media),),
        "decide by the Body alone (empty or not), not by NumMedia",
    ),
]


def words_by_num_media(form):
    """Any picture gets 'Send me some words!', even one with a caption."""
    if form.get("NumMedia", "0") != "0" or not form.get("Body"):
        return twiml("Send me some words!")
    return twiml(form["Body"].upper())
