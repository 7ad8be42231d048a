"""Notebook 06: the staff directory's HELP word and the rest of the list (MORE)."""

import re
from dataclasses import dataclass

from companion_app.app.directory import DEFAULT_STAFF, find_staff, pick_number
from companion_app.checks.cells import judges
from companion_app.checks.differential import conversations, first_difference
from companion_app.checks.references import directory_more_reference
from companion_app.checks.sms import OTHER_SENDER, SENDER, TWILIO_NUMBER, conversation, reply_of
from companion_app.checks.verdict import check_app

#: The most characters a directory session cookie needs when it keeps ids, not records.
DIRECTORY_COOKIE_BUDGET = 200


def _lists_sams(verdict, conv):
    """Send 'sam' and expect the numbered list of five; False (with a hint) when it is missing."""
    got = reply_of(conv.send("sam"))
    return verdict.expect(
        _first_page(got),
        "'sam' still lists the matches (1. Sam Okafor … 5. Jordan Samuels)",
        f"'sam' got {got!r}: keep the directory working (build on respond from this notebook)",
    )


def _first_page(reply):
    """True when a reply lists the first five of 'sam''s matches, numbered (any wording)."""
    names = [name for _, name in _numbered(reply)]
    return names == [member.name for member in find_staff("sam", DEFAULT_STAFF)[:5]]


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
        _first_page(got),
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
    listed = dict((name, number) for number, name in _numbered(got))
    if not verdict.expect(
        "Samuel Adeyemi" in listed and "Sam Okafor" not in got,
        "'more' lists the next match (Samuel Adeyemi) with a number",
        f"'more' got {got!r}: when a list is pending, keep in the state what the next page "
        "needs (the search and how far you got) and list the next matches, numbered",
    ):
        return
    pick = listed["Samuel Adeyemi"]
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
    if not verdict.expect(
        not got.startswith("error"),
        f"'more' with no list pending gets a polite reply ({got!r})",
        f"'more' with no list pending got {got!r}: answer it even when the state is empty",
    ):
        return
    _pages_like_the_reference(verdict, app)


@dataclass(frozen=True)
class Pick:
    """A generated reply that picks the n-th person of the list the phone last got, by the number
    that list showed (a list may number on from 6); spaced sends it with spaces around."""

    n: int
    spaced: bool = False


#: What generated directory conversations say: searches with more than a page of matches and
#: with fewer, MORE in several spellings, picks, numbers out of range, empty and hostile text.
SEARCHES = ("sam", "Sam", " SAM ", "<sam>", "alex", "Alex", "a", "zoe", "nobody", "")
MORES = ("more", "More", " more ")
PICKS = (Pick(1), Pick(2), Pick(1, spaced=True), "9")


def more_bodies(generator, earlier):
    """The next body of a pair: after a search or a MORE, mostly MORE or a pick; else a search,
    which after a MORE is often the pair's last search again (a list asked for anew)."""
    previous = earlier[-1] if earlier else None
    listing = previous in SEARCHES or previous in MORES
    kinds = (SEARCHES, MORES, PICKS)
    weights = (0.35, 0.4, 0.25) if listing else (0.6, 0.25, 0.15)
    kind = generator.choices(kinds, weights)[0]
    searched = [body for body in earlier if body in SEARCHES]
    if kind is SEARCHES and previous in MORES and searched and generator.random() < 0.5:
        return searched[-1]
    return generator.choice(kind)


def _numbered(reply):
    """[(number, name)] of the staff a reply lists with a number before each name, in order."""
    found = []
    for member in DEFAULT_STAFF:
        match = re.search(rf"(\d+)\W{{0,3}}\s*{re.escape(member.name)}", reply)
        if match:
            found.append((match.start(), match.group(1), member.name))
    return [(number, name) for _, number, name in sorted(found)]


def shown(reply):
    """What a directory reply shows, whatever its words: a numbered list of people, one person,
    an error, or something else (no list, the end of the list: their wording is free)."""
    if reply.startswith("error"):
        return ("an error",)
    listed = _numbered(reply)
    if listed:
        return ("the list", tuple(name for _, name in listed))
    named = [member.name for member in DEFAULT_STAFF if member.name in reply]
    if len(named) == 1:
        return ("the details of", named[0])
    return ("people without numbers", tuple(named)) if named else ("no list",)


def _compose(body, last_reply):
    """The text a side sends: a Pick becomes the number its own last list showed."""
    if not isinstance(body, Pick):
        return body
    listed = _numbered(last_reply or "")
    number = listed[body.n - 1][0] if len(listed) >= body.n else str(body.n)
    return f"  {number} " if body.spaced else number


def _judged(body, last_reference_reply):
    """A pick or MORE after a reply that was neither a list nor details (the end of the list, a
    number out of range, no match), or a pick past the end of the list just sent, is sent but not
    judged: the exercise leaves open whether an older list still counts then."""
    last = shown(last_reference_reply or "")
    if isinstance(body, Pick):
        return last[0] != "no list" and (last[0] != "the list" or body.n <= len(last[1]))
    follows_a_list = body.strip().lower() == "more" or pick_number(body.strip()) is not None
    return not follows_a_list or last[0] != "no list"


def _pages_like_the_reference(verdict, app):
    """The last step: generated conversations, side by side with companion_app's directory."""
    scripts = conversations(
        more_bodies, (0.5, 3.9, 4.1, 6), count=24, length=24, pictures=0, stay=0.8, quiet=0.1
    )
    steps = sum(len(script) for script in scripts)
    difference = first_difference(
        app,
        directory_more_reference(),
        scripts,
        shown,
        path="/directory",
        compose=_compose,
        judged=_judged,
    )
    verdict.expect(
        difference is None,
        f"{len(scripts)} generated conversations ({steps} steps: pairs sharing a phone or a "
        "number, new searches, MORE, picks, silences around 4 hours) list and pick like the "
        "reference",
        f"in a generated conversation, {difference}: each 'more' lists the next page of the "
        "latest search, a number picks from the list just sent, and the list is that pair's own "
        "and ends with its cookie (4 hours): keep the search and how far you got in the session, "
        "not in a variable of your own",
    )
