"""Notebook 06, Exercise 1 (help_app) and Exercise 2 (more_app)."""

import re
from dataclasses import asdict

from flask import Flask, request, session

from companion_app import create_app
from companion_app.app.directory import (
    CHOOSING,
    DEFAULT_STAFF,
    HELP_WORDS,
    MAX_MATCHES,
    PICK_PROMPT,
    describe,
    find_staff,
    pick_number,
)
from companion_app.app.directory import respond as companion_respond
from tests.answer_bank import right, twiml, wrong

HELP, MORE = "check_directory_help", "check_directory_more"
USAGE = "Text a name (or part of it) to search the staff, then reply with a number from the list."
STAFF_BY_ID = {member.id: member for member in DEFAULT_STAFF}


def directory_webhook(turn):
    """Notebook 06's directory_webhook: the session keeps whatever state turn(state, text) returns."""
    app = Flask("directory")
    app.config["SECRET_KEY"] = "k" * 32

    @app.route("/directory", methods=["GET", "POST"])
    def look_up_staff():
        state, reply = turn(session.get("directory"), request.values.get("Body", ""))
        if state:
            session["directory"] = state
        else:
            session.pop("directory", None)
        return twiml(reply)

    return app


def respond(state, text):
    """Notebook 06's respond: no HELP word yet, and a pending list in any state with ids."""
    if command(text) in HELP_WORDS:
        return {}, f'No one on the staff matches "{text}". Try part of a first or last name.'
    number = pick_number(text)
    if number is not None and pending(state):
        ids = state["ids"]
        if 1 <= number <= len(ids):
            return {}, describe(STAFF_BY_ID[ids[number - 1]])
        return state, f"Please reply with a number from 1 to {len(ids)}."
    return companion_respond({}, text)


def command(text):
    """A message as a command: lower case, single spaces."""
    return " ".join(text.casefold().split())


def with_help(is_help=lambda text: command(text) == "help", keep=lambda state: state, usage=USAGE):
    """respond, plus a HELP word recognised by is_help that returns keep(state)."""

    def turn(state, text):
        if is_help(text):
            return keep(state), usage
        return respond(state, text)

    return turn


def pending(state):
    """The ids of the pending list, or []."""
    return state.get("ids", []) if isinstance(state, dict) and state.get("step") == CHOOSING else []


def next_page(state, renumber=True, records=False):
    """The page after the one in state (the notebook's answer), or one of two classic bugs."""
    if not pending(state) or "query" not in state:
        return {}, "There is no list to continue. Text a name to search."
    offset = state["offset"] + MAX_MATCHES
    page = find_staff(state["query"], DEFAULT_STAFF)[offset : offset + MAX_MATCHES]
    if not page:
        return state, f"That was the whole list. {PICK_PROMPT}"
    lines = [f"{n}. {member.name}" for n, member in enumerate(page, start=1)]
    new_state = {**state, "offset": offset}
    if renumber:
        new_state["ids"] = [member.id for member in page]
    if records:
        new_state["people"] = [asdict(member) for member in page]
    return new_state, "\n".join([*lines, PICK_PROMPT])


def with_more(more=next_page, records_at_search=False):
    """respond, plus MORE: the search and the offset kept in the state for the next page."""

    def turn(state, text):
        if command(text) == "more":
            return more(state)
        new_state, reply = respond(state, text)
        if pending(new_state) and pick_number(text) is None:
            new_state = {**new_state, "query": text, "offset": 0}
            if records_at_search:
                matches = find_staff(text, DEFAULT_STAFF)
                new_state["people"] = [asdict(member) for member in matches]
        return new_state, reply

    return turn


def all_ids_up_front(state, text):
    """Keeps every match's id at search time and pages through them: the cookie grows with the staff."""
    if command(text) == "more":
        if not isinstance(state, dict) or not state.get("all"):
            return {}, "No list to continue: text a name first."
        start = state["start"] + MAX_MATCHES
        page = state["all"][start : start + MAX_MATCHES]
        if not page:
            return state, "That was everyone."
        lines = [f"{n}. {STAFF_BY_ID[i].name}" for n, i in enumerate(page, start=1)]
        return {**state, "step": CHOOSING, "ids": page, "start": start}, "\n".join(lines)
    number = pick_number(text)
    if number is not None and pending(state) and 1 <= number <= len(state["ids"]):
        return {}, describe(STAFF_BY_ID[state["ids"][number - 1]])
    new_state, reply = respond(state, text)
    if pending(new_state):
        ids = [member.id for member in find_staff(text, DEFAULT_STAFF)]
        new_state = {**new_state, "all": ids, "start": 0}
    return new_state, reply


def rest_of_ids(state, text):
    """Keeps the ids not listed yet in "rest" and MORE takes the next page from them."""
    if command(text) == "more":
        rest = state.get("rest", []) if isinstance(state, dict) else []
        if not rest:
            return {}, "No more to show: text a name."
        page, rest = rest[:MAX_MATCHES], rest[MAX_MATCHES:]
        lines = [f"{n}. {STAFF_BY_ID[i].name}" for n, i in enumerate(page, start=1)]
        return {"step": CHOOSING, "ids": page, "rest": rest}, "\n".join([*lines, PICK_PROMPT])
    new_state, reply = respond(state, text)
    if pending(new_state) and pick_number(text) is None:
        ids = [member.id for member in find_staff(text, DEFAULT_STAFF)]
        new_state = {**new_state, "rest": ids[MAX_MATCHES:]}
    return new_state, reply


def ids_in_a_string(state, text):
    """rest_of_ids with the remaining ids joined into one string: it grows just the same."""
    if command(text) == "more" and isinstance(state, dict) and state.get("rest"):
        state = {**state, "rest": [int(i) for i in state["rest"].split(",")]}
    new_state, reply = rest_of_ids(state, text)
    if isinstance(new_state, dict) and "rest" in new_state:
        new_state = {**new_state, "rest": ",".join(map(str, new_state["rest"]))}
    return new_state, reply


def numbered_on(state, text):
    """MORE numbers on from the first list (6. …) and keeps every id listed so far: also right."""
    if command(text) == "more":
        if not pending(state) or "query" not in state:
            return {}, "Nothing to continue: text a name."
        matches = find_staff(state["query"], DEFAULT_STAFF)
        shown = len(state["ids"])
        page = matches[shown : shown + MAX_MATCHES]
        if not page:
            return state, "That was everyone."
        lines = [f"{n}. {m.name}" for n, m in enumerate(page, start=shown + 1)]
        return {**state, "ids": state["ids"] + [m.id for m in page]}, "\n".join(lines)
    new_state, reply = respond(state, text)
    if pending(new_state) and pick_number(text) is None:
        new_state = {**new_state, "query": text}
    return new_state, reply


def first_page_again(state):
    """MORE that shows the first page again."""
    return next_page({**state, "offset": -MAX_MATCHES}) if pending(state) else ({}, "No list.")


def crashes_without_a_list(state):
    """MORE that reads the query without checking there is one."""
    return next_page(state) if state else (None, state["query"])


ANSWERS = [
    right(HELP, "the notebook's answer", lambda: (directory_webhook(with_help()),)),
    right(HELP, "companion_app's directory", lambda: (create_app({"SECRET_KEY": "k" * 32}),)),
    right(
        HELP,
        "strip().lower() and a copy of the state",
        lambda: (
            directory_webhook(
                with_help(
                    is_help=lambda t: t.strip().lower() == "help",
                    keep=lambda s: dict(s) if s else {},
                )
            ),
        ),
    ),
    right(
        HELP,
        "HELP words of its own, another usage text",
        lambda: (
            directory_webhook(
                lambda state, text: (
                    (state, "Send part of a name to look someone up; reply with its number.")
                    if command(text) in {"help", "?", "info"}
                    else respond(state, text)
                )
            ),
        ),
    ),
    wrong(HELP, "not written yet", lambda: (None,), "`help_app` is not written yet"),
    wrong(
        HELP,
        "help drops the list",
        lambda: (directory_webhook(with_help(keep=lambda state: {})),),
        "return the state you were given together with the help text",
    ),
    wrong(
        HELP,
        "only 'HELP' in capitals",
        lambda: (directory_webhook(with_help(is_help=lambda t: t == "HELP")),),
        "compare ' '.join(text.lower().split()) with 'help'",
    ),
    wrong(
        HELP,
        "no help at all",
        lambda: (directory_webhook(respond),),
        "compare the message (lower case, spaces stripped) with 'help'",
    ),
    wrong(
        HELP,
        "help reads the state, which a first message does not have",
        lambda: (directory_webhook(with_help(keep=lambda state: dict(state))),),
        "the state is empty (or None) then",
    ),
    wrong(
        HELP,
        "the respond function, not the app",
        lambda: (with_help(),),
        "should be a Flask app (made with Flask(...)), not a function (turn)",
    ),
    right(MORE, "the notebook's answer", lambda: (directory_webhook(with_more()),)),
    wrong(
        MORE,
        "the remaining ids kept as one string",
        lambda: (directory_webhook(ids_in_a_string),),
        "storing the id of every match makes the cookie grow with the company",
    ),
    right(MORE, "numbers go on from the first list", lambda: (directory_webhook(numbered_on),)),
    wrong(
        MORE,
        "every id kept at search time",
        lambda: (directory_webhook(all_ids_up_front),),
        "storing the id of every match makes the cookie grow with the company",
    ),
    wrong(
        MORE,
        "the remaining ids kept in the cookie",
        lambda: (directory_webhook(rest_of_ids),),
        "keep the search and a page (how far you got), not the ids",
    ),
    wrong(MORE, "not written yet", lambda: (None,), "`more_app` is not written yet"),
    wrong(
        MORE,
        "no MORE word",
        lambda: (create_app({"SECRET_KEY": "k" * 32}),),
        "keep in the state what the next page needs",
    ),
    wrong(
        MORE,
        "whole records kept at search time",
        lambda: (directory_webhook(with_more(records_at_search=True)),),
        "after 'sam': keep ids and the search in it, not whole records",
    ),
    wrong(
        MORE,
        "whole records kept by MORE",
        lambda: (directory_webhook(with_more(lambda s: next_page(s, records=True))),),
        "keep ids and the search in it, not whole records",
    ),
    wrong(
        MORE,
        "numbers still pick from the first list",
        lambda: (directory_webhook(with_more(lambda s: next_page(s, renumber=False))),),
        "store the ids of the list you just sent",
    ),
    wrong(
        MORE,
        "MORE shows the first page again",
        lambda: (directory_webhook(with_more(first_page_again)),),
        "list the next matches, numbered",
    ),
    wrong(
        MORE,
        "MORE fails with no list",
        lambda: (directory_webhook(with_more(crashes_without_a_list)),),
        "answer it even when the state is empty",
    ),
    wrong(
        HELP,
        "'help' anywhere in the message",
        lambda: (directory_webhook(with_help(is_help=lambda t: "help" in t.lower())),),
        "'I need help finding sam' got the help text",
    ),
    wrong(
        HELP,
        "a message starting with 'help'",
        lambda: (
            directory_webhook(with_help(is_help=lambda t: t.strip().lower().startswith("help"))),
        ),
        "'help me' got the help text",
    ),
    right(
        HELP,
        "a help text without the word name",
        lambda: (directory_webhook(with_help(usage=WHO)),),
    ),
]

#: Help that explains the directory without the word "name", which the exercise never asks for.
WHO = "Text who you are looking for, then reply with a number from the list to get in touch."


def more_stays_on_page_two(state):
    """MORE always shows the page after the first: a second MORE lists it again."""
    return (
        next_page({**state, "offset": 0})
        if pending(state) and "query" in state
        else next_page(state)
    )


def first_query_only(state, text):
    """A new search keeps the old query: it is only stored when none is kept yet."""
    if command(text) == "more":
        return next_page(state)
    new_state, reply = respond(state, text)
    if pending(new_state) and pick_number(text) is None:
        old = state if isinstance(state, dict) and "query" in state else {"query": text}
        new_state = {**new_state, "query": old["query"], "offset": 0}
    return new_state, reply


def pages_outside_the_session(key):
    """The search and the offset in a module-level dict keyed by key(request.values)."""
    pages = {}

    def turn(state, text):
        where = key(request.values)
        if command(text) == "more":
            if where not in pages:
                return {}, "There is no list to continue."
            query, offset = pages[where]
            page = find_staff(query, DEFAULT_STAFF)[offset + MAX_MATCHES : offset + 2 * MAX_MATCHES]
            if not page:
                return state, "That was the whole list."
            pages[where] = (query, offset + MAX_MATCHES)
            lines = [f"{n}. {member.name}" for n, member in enumerate(page, start=1)]
            return {"step": CHOOSING, "ids": [m.id for m in page]}, "\n".join(lines)
        new_state, reply = respond(state, text)
        if pending(new_state) and pick_number(text) is None:
            pages[where] = (text, 0)
        return new_state, reply

    return turn


def numbered_by_letter_and_number(state, text):
    """The notebook's answer with lists written '#1) Name' and MORE spelled any way: also right."""
    new_state, reply = with_more()(state, text)
    return new_state, re.sub(r"^(\d+)\. ", r"#\1) ", reply, flags=re.MULTILINE)


def pages_by_slices(state, text):
    """MORE kept as the page number (0, 1, …), the lists worded its own way: also right."""
    if command(text) == "more":
        if not pending(state) or "query" not in state:
            return {}, "Nothing to show more of: send a name first."
        page = state["page"] + 1
        people = find_staff(state["query"], DEFAULT_STAFF)[page * 5 : page * 5 + 5]
        if not people:
            return state, "No one else matches."
        listing = "\n".join(f"{n} - {m.name}" for n, m in enumerate(people, 1))
        return {**state, "ids": [m.id for m in people], "page": page}, f"More:\n{listing}"
    new_state, reply = respond(state, text)
    if pending(new_state) and pick_number(text) is None:
        new_state = {**new_state, "query": text, "page": 0}
    return new_state, reply


ANSWERS += [
    right(
        MORE,
        "lists written '#1) Name'",
        lambda: (directory_webhook(numbered_by_letter_and_number),),
    ),
    right(
        MORE, "the page number kept, its own words", lambda: (directory_webhook(pages_by_slices),)
    ),
    wrong(
        MORE,
        "a second MORE lists the same page again",
        lambda: (directory_webhook(with_more(more_stays_on_page_two)),),
        "each 'more' lists the next page of the latest search",
    ),
    wrong(
        MORE,
        "a new search keeps the old query",
        lambda: (directory_webhook(first_query_only),),
        "each 'more' lists the next page of the latest search",
    ),
    wrong(
        MORE,
        "the pages in a module-level dict keyed by From",
        lambda: (directory_webhook(pages_outside_the_session(lambda v: v.get("From"))),),
        "not in a variable of your own",
    ),
    wrong(
        MORE,
        "the pages in a module-level dict keyed by (From, To)",
        lambda: (
            directory_webhook(pages_outside_the_session(lambda v: (v.get("From"), v.get("To")))),
        ),
        "not in a variable of your own",
    ),
]
