"""The reference answers the generated conversations are compared with: companion_app's counter
(its reply text and its session key) and its staff directory, with each exercise's rule, one new
app per check."""

import secrets
from datetime import timedelta

from flask import Flask, Response, request, session
from twilio.twiml.messaging_response import MessagingResponse

from companion_app.app.counter import reply_text
from companion_app.app.directory import (
    DEFAULT_STAFF,
    MAX_MATCHES,
    choosing,
    describe,
    find_staff,
    pick_number,
    respond,
)

STAFF_BY_ID = {member.id: member for member in DEFAULT_STAFF}


def counter_reference(reset=False, lifetime=None):
    """The session counter; with reset=True the word 'reset' clears it, lifetime ends it sooner."""
    app = Flask("reference_counter")
    app.config["SECRET_KEY"] = secrets.token_hex(32)
    if lifetime is not None:
        app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=lifetime)

    @app.route("/sms", methods=["GET", "POST"])
    def count_messages():
        response = MessagingResponse()
        if lifetime is not None:
            session.permanent = True
        if reset and request.values.get("Body", "").strip().lower() == "reset":
            session.pop("counter", None)
            response.message("Your count is reset.")
        else:
            count = session.get("counter", 0) + 1
            session["counter"] = count
            response.message(reply_text("Friend", request.values.get("To"), count))
        return Response(str(response), mimetype="application/xml")

    return app


def directory_more_reference():
    """companion_app's staff directory with a MORE word: the search and how far the list got are
    kept in the session beside the directory's own state, and MORE lists the next page of
    companion_app's matches, numbered from 1; a number then picks from that page."""
    app = Flask("reference_directory")
    app.config["SECRET_KEY"] = secrets.token_hex(32)

    def turn(kept, text):
        state = kept.get("state", {})
        if " ".join(text.casefold().split()) == "more":
            if not state.get("ids") or "query" not in kept:
                return {}, "There is no list to continue."
            offset = kept["offset"] + MAX_MATCHES
            page = find_staff(kept["query"], DEFAULT_STAFF)[offset : offset + MAX_MATCHES]
            if not page:
                return kept, "That was the whole list."
            lines = [f"{n}. {member.name}" for n, member in enumerate(page, start=1)]
            return {**kept, "state": choosing(page), "offset": offset}, "\n".join(lines)
        number = pick_number(" ".join(text.casefold().split()))
        ids = state.get("ids", [])
        if number is not None and ids:  # a page of one is a list too (respond wants two or more)
            if 1 <= number <= len(ids):
                return {}, describe(STAFF_BY_ID[ids[number - 1]])
            return kept, f"Please reply with a number from 1 to {len(ids)}."
        state, reply = respond(state, text, DEFAULT_STAFF)
        return ({"state": state, "query": text, "offset": 0} if state else {}), reply

    @app.route("/directory", methods=["GET", "POST"])
    def look_up_staff():
        kept, reply = turn(session.get("directory") or {}, request.values.get("Body", ""))
        session["directory"] = kept
        response = MessagingResponse()
        response.message(reply)
        return Response(str(response), mimetype="application/xml")

    return app
