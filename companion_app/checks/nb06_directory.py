"""Notebook 06: the staff directory's HELP word and the rest of the list (MORE)."""

import re

from companion_app.app.directory import DEFAULT_STAFF, find_staff
from companion_app.checks.cells import judges
from companion_app.checks.sms import OTHER_SENDER, SENDER, TWILIO_NUMBER, conversation, reply_of
from companion_app.checks.verdict import check_app

#: The most characters a directory session cookie needs when it keeps ids, not records.
DIRECTORY_COOKIE_BUDGET = 200


def _lists_sams(verdict, conv):
    """Send 'sam' and expect the numbered list of five; False (with a hint) when it is missing."""
    got = reply_of(conv.send("sam"))
    return verdict.expect(
        "1. Sam Okafor" in got and "5. Jordan Samuels" in got,
        "'sam' still lists the matches (1. Sam Okafor … 5. Jordan Samuels)",
        f"'sam' got {got!r}: keep the directory working (build on respond from this notebook)",
    )


def _explains(reply):
    """True for a reply that can be help: not an error, a failed search, a list or a person."""
    people = tuple(member.name for member in DEFAULT_STAFF)
    return (
        bool(reply.strip())
        and not reply.startswith(("No one", "error", *people))
        and not re.search(r"^\s*1\.", reply, re.MULTILINE)
        and reply != "(no reply)"
    )


#: Messages that only contain the word: a search, never the help.
NOT_HELP = ("I need help finding sam", "help me", "helpdesk")


@judges("help_app")
def check_directory_help(app):
    """Notebook 06: HELP explains the directory in any state and keeps a pending list."""
    title = "A HELP word that keeps the list"
    return check_app(title, "help_app", app, _directory_help)


def _directory_help(verdict, app):
    sim, conv = conversation(app, "/directory")
    if not _lists_sams(verdict, conv):
        return
    got = reply_of(conv.send("HELP"))
    if not verdict.expect(
        _explains(got),
        "'HELP' gets a reply that explains how to search (not a search, a list or an error)",
        f"'HELP' got {got!r}: before searching, compare the message (lower case, spaces "
        "stripped) with 'help' and reply with how to use the directory",
    ):
        return
    got = reply_of(conv.send("2"))
    verdict.expect(
        got.startswith("Samantha Reyes"),
        "'2' after HELP still picks Samantha Reyes: the list survived",
        f"'2' after HELP got {got!r}: return the state you were given together with the help "
        "text, so the pending list stays in the cookie",
    )
    got = reply_of(conv.send("  Help "))
    verdict.expect(
        _explains(got),
        "'  Help ' with no list pending gets the help too (case and spaces do not matter)",
        f"'  Help ' with no list pending got {got!r}: "
        + (
            "the state is empty (or None) then; answer the help without reading anything from it"
            if got.startswith("error")
            else "compare ' '.join(text.lower().split()) with 'help'"
        ),
    )
    first = reply_of(sim.conversation(from_=OTHER_SENDER, to=TWILIO_NUMBER).send("help"))
    if not verdict.expect(
        _explains(first),
        "'help' as someone's very first message (no cookie at all) gets the help",
        f"'help' as a first message got {first!r}: the state is empty (or None) then; answer "
        "the help without reading anything from it",
    ):
        return
    for n, text in enumerate(NOT_HELP):
        got = reply_of(sim.conversation(from_=f"+1415555030{n}", to=TWILIO_NUMBER).send(text))
        if got == first:
            verdict.fail(
                f"{text!r} got the help text, though it is not the word help: only a message "
                "that is the word (any case, spaces around) is help; compare the whole message, "
                "not `in` or startswith"
            )
            return
    verdict.ok("a message that only contains the word ('I need help finding sam') is a search")


@judges("more_app")
def check_directory_more(app):
    """Notebook 06: MORE shows the matches after the first list, and a number picks from them."""
    title = "The rest of the list"
    return check_app(title, "more_app", app, _directory_more)


#: Ids kept in a string: "6", "1,2,3" or "1 2 3".
ID_RUN = re.compile(r"\d+(?:[,; ]+\d+)*")


def _kept_ids(app, cookie):
    """The ids in the app's session cookie (in lists, or a string of them); None if unreadable."""
    interface = getattr(app, "session_interface", None)
    serializer = getattr(interface, "get_signing_serializer", lambda app: None)(app)
    if serializer is None or not cookie:
        return None
    try:
        state = serializer.loads(cookie)
    except Exception:  # not a Flask session cookie: the size budget still applies
        return None
    kept, todo = set(), [state]
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            todo.extend(value.values())
        elif isinstance(value, (list, tuple)):
            kept.update(v for v in value if isinstance(v, int) and not isinstance(v, bool))
            todo.extend(v for v in value if not isinstance(v, int))
        elif isinstance(value, str) and ID_RUN.fullmatch(value):
            kept.update(int(n) for n in re.findall(r"\d+", value))
    return kept


def _directory_more(verdict, app):
    sim, conv = conversation(app, "/directory")
    sizes = []

    def measured(text):
        """Send text and note how big the session cookie is afterwards."""
        reply = reply_of(conv.send(text))
        sizes.append((len(conv.cookies.get("session") or ""), text))
        return reply

    got = measured("sam")
    if not verdict.expect(
        "1. Sam Okafor" in got and "5. Jordan Samuels" in got,
        "'sam' still lists the matches (1. Sam Okafor … 5. Jordan Samuels)",
        f"'sam' got {got!r}: keep the directory working (build on respond from this notebook)",
    ):
        return
    unlisted = [m for m in find_staff("sam", DEFAULT_STAFF) if m.name not in got]
    kept = _kept_ids(app, conv.cookies.get("session")) or set()
    stored = [m.name for m in unlisted if m.id in kept]
    verdict.expect(
        not stored,
        "after 'sam' the cookie keeps the ids of the list it sent, not of matches still to come",
        f"after 'sam' the cookie already keeps the id of {', '.join(stored)}, who was not listed: "
        "storing the id of every match makes the cookie grow with the company (a search that "
        "matches 300 people would store 300); keep the search and a page (how far you got), "
        "not the ids",
    )
    got = measured("more")
    found = re.search(r"(\d+)\.\s*Samuel Adeyemi", got)
    if not verdict.expect(
        found is not None and "Sam Okafor" not in got,
        "'more' lists the next match (Samuel Adeyemi) with a number",
        f"'more' got {got!r}: when a list is pending, keep in the state what the next page "
        "needs (the search and how far you got) and list the next matches, numbered",
    ):
        return
    pick = found.group(1)
    got = measured(pick)
    size, after = max(sizes)
    verdict.expect(
        size <= DIRECTORY_COOKIE_BUDGET,
        f"the cookie stays small ({size} characters): it keeps a search and ids, not records",
        f"the cookie is {size} characters after {after!r}: keep ids and the search in it, not "
        f"whole records (at most {DIRECTORY_COOKIE_BUDGET} characters, after every message)",
    )
    verdict.expect(
        got.startswith("Samuel Adeyemi"),
        f"'{pick}' then picks Samuel Adeyemi from the second list",
        f"'{pick}' got {got!r}: store the ids of the list you just sent, so the "
        "numbers refer to it",
    )
    fresh = sim.conversation(from_=SENDER, to="+14155550188")
    got = reply_of(fresh.send("more"))
    verdict.expect(
        not got.startswith("error"),
        f"'more' with no list pending gets a polite reply ({got!r})",
        f"'more' with no list pending got {got!r}: answer it even when the state is empty",
    )
