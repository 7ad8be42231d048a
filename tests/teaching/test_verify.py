"""Scripted comparisons between two webhooks: what matches, what differs, and how it is shown."""

import base64
import json
import logging

from flask import Flask, Response, request, session
from twilio.twiml.messaging_response import MessagingResponse

from companion_app import create_app
from companion_app.teaching.verify import (
    AUTH_TOKEN,
    STANDARD_SCRIPT,
    compare,
    forge,
    rewrite_session,
    run_script,
    send,
    tamper,
    wait,
)

REY, NUMBER = "+14155550100", "+14155550199"


def reference():
    """companion_app's counter, checking signatures for the script's public URL."""
    return create_app(
        {
            "SECRET_KEY": "reference-key",
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "PUBLIC_URL": "https://example.ngrok.app",
        }
    )


def notebook_counter(store=True):
    """The counter as notebook 03 builds it: no signature check; store=False forgets the count."""
    app = Flask("counter")
    app.config["SECRET_KEY"] = "notebook-key"
    callers = {"+14155550100": "Rey", "+14155550101": "Finn"}

    @app.route("/sms", methods=["GET", "POST"])
    def count_messages():
        count = session.get("counter", 0) + 1
        if store:
            session["counter"] = count
        name = callers.get(request.values.get("From"), "Friend")
        to = request.values.get("To")
        text = (
            f"Hello {name}, thanks for the message!"
            if count == 1
            else f"{name} has messaged {to} {count} times."
        )
        response = MessagingResponse()
        response.message(text)
        return Response(str(response), mimetype="application/xml")

    return app


def test_reference_matches_itself_on_every_step():
    result = compare(reference(), reference())
    assert result.matches
    assert result.summary() == f"All {len(STANDARD_SCRIPT)} steps match."


def test_standard_script_outcomes():
    outcomes = run_script(reference())
    assert outcomes[:2] == [
        "Hello Rey, thanks for the message!",
        "Rey has messaged +14155550199 2 times.",
    ]
    assert (
        outcomes[STANDARD_SCRIPT.index(tamper(REY, NUMBER)) + 1]
        == "Hello Rey, thanks for the message!"
    )
    assert outcomes[13] == "error 11200 (HTTP retrieval failure): the webhook answered HTTP 403"
    assert outcomes[-1] == "Rey has messaged +14155550199 2 times."


def test_a_counter_without_signature_check_differs_only_at_the_forgery():
    result = compare(notebook_counter(), reference())
    assert result.differences == [14]
    assert result.left[13] == "Hello Rey, thanks for the message!"


def test_a_counter_that_forgets_to_store_is_caught():
    result = compare(notebook_counter(store=False), reference())
    assert 2 in result.differences and 4 in result.differences
    assert result.left[1] == "Hello Rey, thanks for the message!"


def test_text_view_marks_differences_and_names_both_apps():
    text = repr(compare(notebook_counter(), reference(), names=("mine", "ref")))
    assert text.splitlines()[0] == "14 of 15 steps match; different: step 14."
    assert "≠ 14. forged: +14155550100 → +14155550199: 'forged message'" in text
    assert "       mine: Hello Rey, thanks for the message!" in text
    assert "       both: Hello Rey, thanks for the message!" in text


def test_html_view_highlights_the_different_rows():
    page = compare(notebook_counter(), reference())._repr_html_()
    assert page.count('style="background:#fde2e1"') == 1
    assert "&#x27;forged message&#x27;" in page


def test_rewrite_keeps_timestamp_and_signature():
    data = base64.urlsafe_b64encode(b'{"counter":2}').rstrip(b"=").decode()
    rewritten = rewrite_session(f"{data}.AAAAAA.signature")
    payload, stamp, signature = rewritten.split(".")
    assert json.loads(base64.urlsafe_b64decode(payload + "==")) == {"counter": 1000}
    assert (stamp, signature) == ("AAAAAA", "signature")


def test_custom_script_with_wait_and_forge():
    script = [send(REY, NUMBER, "a"), wait(3), send(REY, NUMBER, "b"), forge(REY, NUMBER, "c")]
    assert run_script(reference(), script) == [
        "Hello Rey, thanks for the message!",
        "—",
        "Rey has messaged +14155550199 2 times.",
        "error 11200 (HTTP retrieval failure): the webhook answered HTTP 403",
    ]
    assert [str(step) for step in script[1:]] == [
        "3 hours of silence",
        "+14155550100 → +14155550199: 'b'",
        "forged: +14155550100 → +14155550199: 'c'",
    ]


def test_a_run_holds_back_the_rejection_warning(caplog):
    run_script(reference(), [forge(REY, NUMBER, "x")])
    assert "rejected request" not in caplog.text
    logging.getLogger("companion_app.app.counter").warning("after the run")
    assert "after the run" in caplog.text
