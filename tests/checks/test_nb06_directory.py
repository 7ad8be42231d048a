"""Notebook 06's self-checks: a right answer passes, a wrong one fails with the hint that fixes it."""

from dataclasses import asdict

from flask import Flask, request, session
from twilio.twiml.messaging_response import MessagingResponse

from companion_app import checks, create_app
from companion_app.app.directory import (
    DEFAULT_STAFF,
    HELP_WORDS,
    MAX_MATCHES,
    PICK_PROMPT,
    USAGE,
    describe,
    find_staff,
    pick_number,
    respond,
)
from companion_app.app.incoming import twiml


def directory_webhook(turn):
    """An app whose /directory keeps in the session whatever state turn(state, text) returns."""
    app = Flask("directory")
    app.config["SECRET_KEY"] = "k"

    @app.route("/directory", methods=["GET", "POST"])
    def look_up_staff():
        state, reply = turn(session.get("directory"), request.values.get("Body", ""))
        if state:
            session["directory"] = state
        else:
            session.pop("directory", None)
        response = MessagingResponse()
        response.message(reply)
        return twiml(response)

    return app


STAFF_BY_ID = {member.id: member for member in DEFAULT_STAFF}


def command(text):
    """A message as a command: lower case, single spaces."""
    return " ".join(text.casefold().split())


def report(verdict):
    """The verdict as the learner reads it."""
    return repr(verdict)


# --- HELP ------------------------------------------------------------------------------------


def test_help_passes_with_the_reference_directory():
    assert checks.check_directory_help(create_app({"SECRET_KEY": "k"}))


def help_that_forgets(state, text):
    """Answers HELP but drops the pending list."""
    return ({}, USAGE) if command(text) == "help" else respond(state, text)


def no_help(state, text):
    """The directory without HELP: 'help' is searched for, and found nowhere."""
    if command(text) in HELP_WORDS:
        return {}, f'No one matches "{text}".'
    return respond(state, text)


def help_in_capitals_only(state, text):
    """Answers only an exact 'HELP'."""
    return (state, USAGE) if text == "HELP" else no_help(state, text)


def test_help_that_drops_the_list_fails_with_hint():
    verdict = checks.check_directory_help(directory_webhook(help_that_forgets))
    assert not verdict
    assert "return the state you were given together with the help text" in report(verdict)


def test_help_that_ignores_case_and_spaces_fails_with_hint():
    verdict = checks.check_directory_help(directory_webhook(help_in_capitals_only))
    assert not verdict
    assert "compare ' '.join(text.lower().split()) with 'help'" in report(verdict)


def test_no_help_fails_with_hint():
    verdict = checks.check_directory_help(directory_webhook(no_help))
    assert not verdict
    assert "'HELP' got 'No one matches \"HELP\".'" in report(verdict)
    assert "compare the message (lower case, spaces stripped) with 'help'" in report(verdict)


def test_a_broken_directory_fails_before_help():
    verdict = checks.check_directory_help(directory_webhook(lambda state, text: ({}, "hi")))
    assert not verdict
    assert "keep the directory working" in report(verdict)


def test_a_crashing_directory_is_reported_in_words():
    def crash(state, text):
        raise KeyError("ids")

    verdict = checks.check_directory_help(directory_webhook(crash))
    assert not verdict
    assert "KeyError" in report(verdict)


# --- MORE ------------------------------------------------------------------------------------


def next_page(state, keep_records=False, renumber=True):
    """The page after the one in state; keep_records/renumber=False make the two classic bugs."""
    if not state or "query" not in state:
        return {}, "There is no list to continue."
    offset = state["offset"] + MAX_MATCHES
    page = find_staff(state["query"], DEFAULT_STAFF)[offset : offset + MAX_MATCHES]
    if not page:
        return state, "That was the whole list."
    lines = [f"{n}. {member.name}" for n, member in enumerate(page, start=1)]
    new_state = {**state, "offset": offset}
    if renumber:
        new_state["ids"] = [member.id for member in page]
    if keep_records:
        new_state["people"] = [asdict(member) for member in page + find_staff("sam", DEFAULT_STAFF)]
    return new_state, "\n".join([*lines, PICK_PROMPT])


def with_more(**bugs):
    """A directory with MORE (query and offset in the state), optionally with a bug."""

    def turn(state, text):
        if command(text) == "more":
            return next_page(state, **bugs)
        number = pick_number(text)
        if number is not None and state and 1 <= number <= len(state["ids"]):
            return {}, describe(STAFF_BY_ID[state["ids"][number - 1]])
        new_state, reply = respond({}, text)
        if new_state:  # a new list: remember the search for MORE
            new_state = {**new_state, "query": text, "offset": 0}
        return new_state, reply

    return turn


def test_more_passes():
    assert checks.check_directory_more(directory_webhook(with_more()))


def test_no_more_fails_with_hint():
    verdict = checks.check_directory_more(create_app({"SECRET_KEY": "k"}))
    assert not verdict
    assert "keep in the state what the next page needs" in report(verdict)


def test_more_keeping_records_fails_on_size():
    verdict = checks.check_directory_more(directory_webhook(with_more(keep_records=True)))
    assert not verdict
    assert "keep ids and the search in it, not whole records" in report(verdict)


def test_more_picking_from_the_old_list_fails_with_hint():
    verdict = checks.check_directory_more(directory_webhook(with_more(renumber=False)))
    assert not verdict
    assert "'1' got 'Sam Okafor, Head of Support." in report(verdict)
    assert "store the ids of the list you just sent" in report(verdict)


def test_more_with_no_list_must_not_crash():
    def turn(state, text):
        if command(text) == "more":
            return next_page(state) if state else (None, state["query"])  # crashes when idle
        return with_more()(state, text)

    verdict = checks.check_directory_more(directory_webhook(turn))
    assert not verdict
    assert "answer it even when the state is empty" in report(verdict)
