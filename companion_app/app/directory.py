"""A staff directory over SMS: a multi-turn conversation kept entirely in the session cookie.

Text a name (or part of one) and get a numbered list of matches; reply with a number for that
person's details. The conversation is a tiny state machine:

- idle (``{}``, nothing stored): a name searches; one match (or an exact full name) answers at once.
- choosing (``{"step": "choose", "ids": [3, 1, 7]}``): a number picks from the list; a name
  searches again.

``respond(state, text, staff)`` holds all the logic and knows nothing about Flask; the
``look_up_staff`` view only reads the state from the session, calls it and stores what it returns.
The cookie keeps staff ids only (at most ``MAX_MATCHES`` of them), never whole records, so its size
does not grow with the directory.
"""

import logging
import re
import unicodedata
from dataclasses import dataclass

from flask import Blueprint, current_app, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer
from twilio.twiml.messaging_response import MessagingResponse

from companion_app.app.incoming import accept_incoming, twiml
from companion_app.serving.printable import printable

#: The session key that holds the directory conversation's state.
DIRECTORY_KEY = "directory"

#: The step of a conversation waiting for the sender to pick a number from a list.
CHOOSING = "choose"

#: The longest list a reply offers (and so the most ids the cookie ever holds).
MAX_MATCHES = 5

#: Messages that show how to use the directory (compared after normalising case and spaces).
HELP_WORDS = frozenset({"help", "?", "info"})

#: Messages that forget the pending list.
RESTART_WORDS = frozenset({"restart", "cancel", "reset", "start over"})

#: How many characters of a search a reply quotes back.
QUOTE_LENGTH = 30

USAGE = (
    "Staff directory: text a name (or part of one) to look someone up, then reply with a "
    "number to pick from the list. Send RESTART to start over."
)
PICK_PROMPT = "Reply with a number for details, or send another name."
NO_LIST = (
    "There is no list to pick from (it may have expired: lists last 4 hours). "
    "Text a name to search."
)
RESTARTED = "Starting over. Text a name to search the staff directory."
EMPTY_MESSAGE = "Text a name to search the staff directory, or HELP for help."
GONE = "That person is no longer in the directory. Text a name to search again."


@dataclass(frozen=True)
class StaffMember:
    """One person in the directory; `id` is what the cookie stores."""

    id: int
    name: str
    role: str
    extension: str
    email: str


#: A small fictional staff (several "Sam"s, so a partial name gives a list).
DEFAULT_STAFF = (
    StaffMember(1, "Sam Okafor", "Head of Support", "214", "sam.okafor@example.com"),
    StaffMember(2, "Samantha Reyes", "Payroll Officer", "231", "samantha.reyes@example.com"),
    StaffMember(3, "Samir Haddad", "Backend Engineer", "305", "samir.haddad@example.com"),
    StaffMember(4, "Sam Lee", "Receptionist", "100", "sam.lee@example.com"),
    StaffMember(5, "Jordan Samuels", "Sales Lead", "412", "jordan.samuels@example.com"),
    StaffMember(6, "Samuel Adeyemi", "IT Support", "220", "samuel.adeyemi@example.com"),
    StaffMember(7, "Alex Morgan", "Office Manager", "101", "alex.morgan@example.com"),
    StaffMember(8, "Alexandra Petrova", "Head of Finance", "230", "alexandra.petrova@example.com"),
    StaffMember(9, "Priya Natarajan", "Data Analyst", "318", "priya.natarajan@example.com"),
    StaffMember(10, "Zoë Novak", "UX Designer", "322", "zoe.novak@example.com"),
    StaffMember(11, "Mei Chen", "Security Engineer", "307", "mei.chen@example.com"),
    StaffMember(12, "Tom O'Brien", "Facilities", "150", "tom.obrien@example.com"),
    StaffMember(13, "Mary-Jane Watts", "Legal Counsel", "240", "mary-jane.watts@example.com"),
)

bp = Blueprint("directory", __name__)

#: Log one line per message (pair and count or step), never the body. Its name is not the
#: app's: Flask would attach its timestamped default handler to the app's logger.
log = logging.getLogger(__name__)


# --- The pure logic: no Flask below this line until the view. ---


def name_words(text):
    """The words of a name or a search: lower case, no accents, no punctuation ("Zoë" -> "zoe")."""
    plain_text = unicodedata.normalize("NFKD", text.casefold())
    plain_text = "".join(c for c in plain_text if not unicodedata.combining(c))
    words = (re.sub(r"[^\w]", "", word) for word in re.split(r"[\s\-]+", plain_text))
    return [word for word in words if word]


def matches_name(query_words, member):
    """True when every query word starts some word of the member's name."""
    words = name_words(member.name)
    return all(any(word.startswith(q) for word in words) for q in query_words)


def find_staff(query, staff):
    """The staff whose names match `query`, in directory order; an exact full name alone."""
    query_words = name_words(query)
    if not query_words:
        return []
    exact = [m for m in staff if name_words(m.name) == query_words]
    if len(exact) == 1:
        return exact
    return [m for m in staff if matches_name(query_words, m)]


def describe(member):
    """One person's details as a reply."""
    return f"{member.name}, {member.role}. Ext. {member.extension}, {member.email}"


def list_choices(matches, query):
    """The numbered list reply for several matches (at most MAX_MATCHES shown)."""
    shown = matches[:MAX_MATCHES]
    lines = [f'{len(matches)} people match "{quote(query)}":']
    lines += [f"{n}. {member.name}" for n, member in enumerate(shown, start=1)]
    hidden = len(matches) - len(shown)
    if hidden:
        lines.append(f"(and {hidden} more: send more of the name to narrow it down)")
    lines.append(PICK_PROMPT)
    return "\n".join(lines)


def quote(text):
    """A search as it is quoted back: spaces collapsed and at most QUOTE_LENGTH characters."""
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 3] + "..."


def clean_state(state):
    """The state if it is one `respond` made, else {} (idle): garbage or old shapes start over."""
    if not isinstance(state, dict) or set(state) != {"step", "ids"}:
        return {}
    ids = state["ids"]
    if (
        state["step"] != CHOOSING
        or not isinstance(ids, list)
        or not 2 <= len(ids) <= MAX_MATCHES
        or not all(type(i) is int for i in ids)
    ):
        return {}
    return {"step": CHOOSING, "ids": list(ids)}


def choosing(matches):
    """The state that waits for a pick from the listed matches (their ids only)."""
    return {"step": CHOOSING, "ids": [member.id for member in matches[:MAX_MATCHES]]}


def pick_number(text):
    """The number a message picks ("2", "#2", "2.") or None when it is not a number."""
    found = re.fullmatch(r"#?\s*([0-9]+)\s*\.?", text)
    return int(found.group(1)) if found else None


def respond(state, text, staff=DEFAULT_STAFF):
    """One turn of the conversation: (new_state, reply_text) for a message in a state."""
    state = clean_state(state)
    command = " ".join(text.casefold().split())
    if not command:
        return state, EMPTY_MESSAGE
    if command in HELP_WORDS:
        return state, USAGE
    if command in RESTART_WORDS:
        return {}, RESTARTED

    number = pick_number(command)
    if number is not None:
        if not state:
            return {}, NO_LIST
        ids = state["ids"]
        if not 1 <= number <= len(ids):
            return state, f"Please reply with a number from 1 to {len(ids)}, or send another name."
        by_id = {member.id: member for member in staff}
        member = by_id.get(ids[number - 1])
        return {}, describe(member) if member else GONE

    matches = find_staff(text, staff)
    if not matches:
        return {}, f'No one on the staff matches "{quote(text)}". Try part of a first or last name.'
    if len(matches) == 1:
        return {}, describe(matches[0])
    return choosing(matches), list_choices(matches, text)


def load_staff(entries):
    """The directory from config: StaffMember objects or dicts of their fields; ids must be unique."""
    staff = tuple(e if isinstance(e, StaffMember) else StaffMember(**e) for e in entries)
    ids = [member.id for member in staff]
    if len(set(ids)) != len(ids) or not all(type(i) is int for i in ids):
        raise ValueError("STAFF: every staff member needs a different integer id.")
    return staff


# --- Reading a session cookie, to see what the conversation stores. ---


def read_session_cookie(value):
    """The data in a Flask session cookie, read WITHOUT the secret key: it is signed, not encrypted."""
    interface = SecureCookieSessionInterface()
    reader = URLSafeTimedSerializer("any key at all", serializer=interface.serializer)
    _, data = reader.loads_unsafe(value)
    return data if isinstance(data, dict) else {}


def verify_session_cookie(app, value):
    """The data in a session cookie if `app`'s SECRET_KEY signed it (as Flask would accept), else None."""
    serializer = app.session_interface.get_signing_serializer(app)
    max_age = int(app.permanent_session_lifetime.total_seconds())
    try:
        return serializer.loads(value, max_age=max_age)
    except BadSignature:
        return None


def directory_state(app, value):
    """The directory state a session cookie holds, as the view would use it ({} when none or forged)."""
    data = verify_session_cookie(app, value) or {}
    return clean_state(data.get(DIRECTORY_KEY))


# --- The webhook. ---


@bp.record_once
def check_staff_config(setup_state):
    """Fail at start-up, not on the first message, when the STAFF config is unusable."""
    load_staff(setup_state.app.config.get("STAFF", DEFAULT_STAFF))


@bp.route("/directory", methods=["GET", "POST"])
def look_up_staff():
    """Answer one SMS of the staff-directory conversation kept in the session cookie."""
    incoming, refusal = accept_incoming()
    if refusal:
        return refusal

    staff = load_staff(current_app.config.get("STAFF", DEFAULT_STAFF))
    state, reply = respond(session.get(DIRECTORY_KEY), incoming.body, staff)
    if state:
        session[DIRECTORY_KEY] = state
    else:
        session.pop(DIRECTORY_KEY, None)
    log.info(
        "directory %s -> %s: %s",
        printable(incoming.from_),
        printable(incoming.to),
        state.get("step", "idle"),
    )
    incoming.record()

    response = MessagingResponse()
    response.message(reply)
    return twiml(response)
