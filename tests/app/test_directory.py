"""The staff directory: every path of the conversation, through `respond` and through the webhook."""

import base64
import json
from urllib.parse import urlencode

import pytest
from flask.sessions import SecureCookieSessionInterface
from twilio.request_validator import RequestValidator

from companion_app import create_app
from companion_app.app.counter import COUNTER_KEY
from companion_app.app.directory import (
    DEFAULT_STAFF,
    DIRECTORY_KEY,
    EMPTY_MESSAGE,
    GONE,
    MAX_MATCHES,
    NO_LIST,
    PICK_PROMPT,
    RESTARTED,
    USAGE,
    StaffMember,
    clean_state,
    directory_state,
    find_staff,
    load_staff,
    name_words,
    read_session_cookie,
    respond,
    verify_session_cookie,
)
from tests.support.values import PUBLIC_URL, SENDER, TEST_AUTH_TOKEN, TWILIO_NUMBER

XML_PREFIX = '<?xml version="1.0" encoding="UTF-8"?>'
SAM_OKAFOR = "Sam Okafor, Head of Support. Ext. 214, sam.okafor@example.com"
SAM_LEE = "Sam Lee, Receptionist. Ext. 100, sam.lee@example.com"
ALEX_MORGAN = "Alex Morgan, Office Manager. Ext. 101, alex.morgan@example.com"
ALEXANDRA = "Alexandra Petrova, Head of Finance. Ext. 230, alexandra.petrova@example.com"
ZOE = "Zoë Novak, UX Designer. Ext. 322, zoe.novak@example.com"
O_BRIEN = "Tom O'Brien, Facilities. Ext. 150, tom.obrien@example.com"
MARY_JANE = "Mary-Jane Watts, Legal Counsel. Ext. 240, mary-jane.watts@example.com"
NO_XYZ = 'No one on the staff matches "xyz". Try part of a first or last name.'
NO_BANGS = 'No one on the staff matches "!!!". Try part of a first or last name.'
FROM_1_TO_2 = "Please reply with a number from 1 to 2, or send another name."
FROM_1_TO_5 = "Please reply with a number from 1 to 5, or send another name."
SAM_LIST = "\n".join(
    [
        '6 people match "sam":',
        "1. Sam Okafor",
        "2. Samantha Reyes",
        "3. Samir Haddad",
        "4. Sam Lee",
        "5. Jordan Samuels",
        "(and 1 more: send more of the name to narrow it down)",
        PICK_PROMPT,
    ]
)
ALEX_LIST = f'2 people match "alex":\n1. Alex Morgan\n2. Alexandra Petrova\n{PICK_PROMPT}'
IDLE = {}
SAMS = {"step": "choose", "ids": [1, 2, 3, 4, 5]}
ALEXES = {"step": "choose", "ids": [7, 8]}


def message_xml(text):
    """The exact TwiML of one reply message."""
    return f"{XML_PREFIX}<Response><Message>{text}</Message></Response>"


# --- respond: one turn, (state, message) -> (reply, next state) --------------------------------


@pytest.mark.parametrize(
    ("state", "message", "reply", "next_state"),
    [
        pytest.param(IDLE, "sam", SAM_LIST, SAMS, id="partial-name-lists-matches"),
        pytest.param(IDLE, "alex", ALEX_LIST, ALEXES, id="two-matches"),
        pytest.param(IDLE, "Sam Okafor", SAM_OKAFOR, IDLE, id="exact-name-details"),
        pytest.param(IDLE, "okafor", SAM_OKAFOR, IDLE, id="one-match-details"),
        pytest.param(IDLE, "alex morgan", ALEX_MORGAN, IDLE, id="exact-not-alexandra"),
        pytest.param(IDLE, "zoe", ZOE, IDLE, id="accents-ignored"),
        pytest.param(IDLE, "obrien", O_BRIEN, IDLE, id="apostrophe-ignored"),
        pytest.param(IDLE, "mary jane", MARY_JANE, IDLE, id="hyphen-is-a-space"),
        pytest.param(IDLE, "xyz", NO_XYZ, IDLE, id="no-match"),
        pytest.param(SAMS, "xyz", NO_XYZ, IDLE, id="no-match-drops-list"),
        pytest.param(SAMS, "1", SAM_OKAFOR, IDLE, id="pick-first"),
        pytest.param(SAMS, "4", SAM_LEE, IDLE, id="pick-middle"),
        pytest.param(ALEXES, "2", ALEXANDRA, IDLE, id="pick-last"),
        pytest.param(SAMS, "#4", SAM_LEE, IDLE, id="pick-with-hash"),
        pytest.param(SAMS, "4.", SAM_LEE, IDLE, id="pick-with-dot"),
        pytest.param(SAMS, "alex", ALEX_LIST, ALEXES, id="new-name-replaces-list"),
        pytest.param(SAMS, "zoe", ZOE, IDLE, id="exact-name-while-choosing"),
        pytest.param(ALEXES, "0", FROM_1_TO_2, ALEXES, id="zero-out-of-range"),
        pytest.param(ALEXES, "3", FROM_1_TO_2, ALEXES, id="too-big"),
        pytest.param(SAMS, "6", FROM_1_TO_5, SAMS, id="hidden-not-pickable"),
        pytest.param(SAMS, "9" * 40, FROM_1_TO_5, SAMS, id="huge-number"),
        pytest.param(IDLE, "2", NO_LIST, IDLE, id="number-with-no-list"),
        pytest.param(IDLE, "help", USAGE, IDLE, id="help"),
        pytest.param(IDLE, "?", USAGE, IDLE, id="question-mark"),
        pytest.param(SAMS, "help", USAGE, SAMS, id="help-keeps-list"),
        pytest.param(SAMS, "restart", RESTARTED, IDLE, id="restart"),
        pytest.param(SAMS, "cancel", RESTARTED, IDLE, id="cancel"),
        pytest.param(IDLE, "cancel", RESTARTED, IDLE, id="cancel-when-idle"),
        pytest.param(IDLE, "", EMPTY_MESSAGE, IDLE, id="empty"),
        pytest.param(SAMS, "   ", EMPTY_MESSAGE, SAMS, id="blank-keeps-list"),
        pytest.param(SAMS, "!!!", NO_BANGS, IDLE, id="punctuation-only"),
    ],
)
def test_respond(state, message, reply, next_state):
    assert respond(state, message) == (next_state, reply)


@pytest.mark.parametrize(
    "message",
    ["SAM", "  sam  ", "Sam\n", "sAm", "\tsam"],
    ids=["upper", "spaces", "newline", "mixed", "tab"],
)
def test_search_ignores_case_and_whitespace(message):
    assert respond(IDLE, message)[1].replace(f'"{message.strip()}"', '"sam"') == SAM_LIST


@pytest.mark.parametrize("message", ["HELP", " Help ", "Restart", "  CANCEL", "Start   Over"])
def test_commands_ignore_case_and_whitespace(message):
    assert respond(SAMS, message)[1] in (USAGE, RESTARTED)


@pytest.mark.parametrize("message", [" 2 ", "2\n", "# 2"])
def test_numbers_ignore_whitespace(message):
    assert respond(ALEXES, message) == (IDLE, ALEXANDRA)


def test_exact_name_ignores_case_and_spacing():
    assert respond(IDLE, "  SAM   okafor ") == (IDLE, SAM_OKAFOR)


def test_long_search_is_quoted_short():
    state, reply = respond(IDLE, "q" * 1600)
    assert state == IDLE
    assert len(reply) < 120
    assert '"' + "q" * 27 + '..."' in reply


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "choose:1,2",
        [1, 2],
        {"step": "choose"},
        {"step": "choose", "ids": "1,2"},
        {"step": "choose", "ids": [1]},
        {"step": "choose", "ids": [1, 2, 3, 4, 5, 6]},
        {"step": "choose", "ids": ["1", "2"]},
        {"step": "choose", "ids": [True, False]},
        {"step": "choose", "ids": [1.0, 2.0]},
        {"step": "pick", "ids": [1, 2]},
        {"step": "choose", "ids": [1, 2], "extra": "x"},
        {"matches": [1, 2]},
    ],
    ids=repr,
)
def test_garbage_or_old_state_starts_over(stored):
    assert clean_state(stored) == IDLE
    assert respond(stored, "1") == (IDLE, NO_LIST)
    assert respond(stored, "sam") == (SAMS, SAM_LIST)


def test_a_list_naming_someone_who_left_says_so():
    assert respond({"step": "choose", "ids": [1, 99]}, "2") == (IDLE, GONE)


def test_respond_does_not_change_the_state_it_was_given():
    state = {"step": "choose", "ids": [7, 8]}
    new_state, _ = respond(state, "help")
    new_state["ids"].append(1)
    assert state == {"step": "choose", "ids": [7, 8]}


def test_state_holds_ids_only_and_at_most_max_matches():
    state, _ = respond(IDLE, "s")  # more matches than a list shows
    assert set(state) == {"step", "ids"}
    assert len(state["ids"]) == MAX_MATCHES
    assert all(type(i) is int for i in state["ids"])


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("sam o", ["Sam Okafor"]),
        ("samu", ["Jordan Samuels", "Samuel Adeyemi"]),
        ("mary-jane", ["Mary-Jane Watts"]),
        ("jane", ["Mary-Jane Watts"]),
        ("am", []),  # the start of a word, not any substring
        ("", []),
    ],
)
def test_find_staff(query, names):
    assert [m.name for m in find_staff(query, DEFAULT_STAFF)] == names


def test_name_words():
    assert name_words("  Zoë  O'Brien-Smith ") == ["zoe", "obrien", "smith"]


def test_two_people_with_the_same_name_give_a_list():
    staff = (
        StaffMember(1, "Kim Park", "A", "1", "a@example.com"),
        StaffMember(2, "Kim Park", "B", "2", "b@example.com"),
    )
    assert respond(IDLE, "kim park", staff)[0] == {"step": "choose", "ids": [1, 2]}


def test_load_staff_accepts_dicts():
    staff = load_staff([{"id": 1, "name": "Ada", "role": "R", "extension": "1", "email": "e"}])
    assert staff == (StaffMember(1, "Ada", "R", "1", "e"),)


@pytest.mark.parametrize(
    "ids", [[1, 1], ["1", "2"], [True, 2]], ids=["duplicate", "strings", "bool"]
)
def test_load_staff_rejects_unusable_ids(ids):
    entries = [StaffMember(i, "N", "R", "1", "e") for i in ids]
    with pytest.raises(ValueError, match="different integer id"):
        load_staff(entries)


def test_default_staff_is_usable():
    assert load_staff(DEFAULT_STAFF) == DEFAULT_STAFF


# --- the webhook ---------------------------------------------------------------------------------


@pytest.fixture
def texting(app):
    """Start a directory conversation for one From/To pair (one client: Twilio's jar for that pair)."""

    def start(from_=SENDER, to=TWILIO_NUMBER):
        client = app.test_client()

        def send(body):
            response = client.post("/directory", data={"From": from_, "To": to, "Body": body})
            assert response.status_code == 200
            assert response.mimetype == "application/xml"
            return response.get_data(as_text=True)

        send.client = client
        return send

    return start


def test_full_conversation(texting):
    send = texting()
    assert send("help") == message_xml(USAGE)
    assert send("2") == message_xml(NO_LIST)
    assert send("Sam") == message_xml(SAM_LIST.replace('"sam"', '"Sam"'))
    assert send("9") == message_xml(FROM_1_TO_5)
    assert send("alex") == message_xml(ALEX_LIST)
    assert send(" 2 ") == message_xml(ALEXANDRA)
    assert send("2") == message_xml(NO_LIST)
    assert send("okafor") == message_xml(SAM_OKAFOR)
    assert send("sam") and send("cancel") == message_xml(RESTARTED)
    assert send("1") == message_xml(NO_LIST)


def test_two_pairs_are_kept_apart(texting):
    rey = texting(from_=SENDER)
    finn = texting(from_="+14155550101")
    other_number = texting(from_=SENDER, to="+14155550198")
    rey("sam")
    finn("alex")
    assert rey("2") == message_xml(
        "Samantha Reyes, Payroll Officer. Ext. 231, samantha.reyes@example.com"
    )
    assert other_number("2") == message_xml(NO_LIST)
    assert finn("2") == message_xml(ALEXANDRA)


def test_idle_conversation_leaves_no_directory_state(app, texting):
    send = texting()
    send("sam")
    assert directory_state(app, send.client.get_cookie("session").value) == SAMS
    send("1")
    assert send.client.get_cookie("session") is None  # nothing left to store: Flask deletes it


def test_counter_and_directory_share_the_cookie_without_clashing(app, texting):
    send = texting()
    send.client.post("/sms", data={"From": SENDER, "To": TWILIO_NUMBER})
    send("sam")
    data = verify_session_cookie(app, send.client.get_cookie("session").value)
    assert data == {COUNTER_KEY: 1, DIRECTORY_KEY: SAMS}
    send("1")
    data = verify_session_cookie(app, send.client.get_cookie("session").value)
    assert data == {COUNTER_KEY: 1}


def test_get_works_too(client):
    query = {"From": SENDER, "To": TWILIO_NUMBER, "Body": "alex"}
    client.get("/directory", query_string=query)
    response = client.get("/directory", query_string={**query, "Body": "1"})
    assert response.get_data(as_text=True) == message_xml(ALEX_MORGAN)


def test_missing_body_is_an_empty_message(client):
    response = client.post(
        "/directory", data={"From": SENDER, "To": TWILIO_NUMBER, "NumMedia": "1"}
    )
    assert response.get_data(as_text=True) == message_xml(EMPTY_MESSAGE)


def test_staff_comes_from_config():
    app = create_app(
        {
            "SECRET_KEY": "k",
            "STAFF": [
                {
                    "id": 7,
                    "name": "Ada Lovelace",
                    "role": "Analyst",
                    "extension": "1815",
                    "email": "ada@example.com",
                }
            ],
        }
    )
    response = app.test_client().post(
        "/directory", data={"From": SENDER, "To": TWILIO_NUMBER, "Body": "ada"}
    )
    assert response.get_data(as_text=True) == message_xml(
        "Ada Lovelace, Analyst. Ext. 1815, ada@example.com"
    )


def test_unusable_staff_config_fails_at_start_up():
    staff = [StaffMember(1, "A", "R", "1", "e"), StaffMember(1, "B", "R", "2", "e")]
    with pytest.raises(ValueError, match="different integer id"):
        create_app({"SECRET_KEY": "k", "STAFF": staff})


def test_requests_are_recorded(app, texting):
    texting()("sam")
    last = list(app.extensions["recent_requests"])[-1]
    assert (last.from_, last.to, last.status) == (SENDER, TWILIO_NUMBER, 200)


@pytest.mark.parametrize(
    ("data", "status", "text"),
    [
        ({"To": TWILIO_NUMBER, "Body": "sam"}, 400, "Missing parameter: From.\n"),
        ({"From": SENDER, "Body": "sam"}, 400, "Missing parameter: To.\n"),
        ({"From": "", "To": ""}, 400, "Missing parameter: From and To.\n"),
        ({}, 400, "Missing parameter: From and To.\n"),
    ],
)
def test_missing_numbers_get_400(client, data, status, text):
    response = client.post("/directory", data=data)
    assert (response.status_code, response.get_data(as_text=True)) == (status, text)
    assert response.mimetype == "text/plain"


def test_non_form_body_gets_415(client):
    response = client.post("/directory", data="{}", content_type="application/json")
    assert response.status_code == 415
    assert response.mimetype == "text/plain"


def test_wrong_method_gets_a_plain_405(client):
    response = client.put("/directory")
    assert response.status_code == 405
    assert "Twilio uses POST or GET" in response.get_data(as_text=True)


# --- cookies: tampering, garbage, size, signed-not-encrypted ------------------------------------


def session_cookie(app, data):
    """A session cookie for `data`, signed with the app's key."""
    return SecureCookieSessionInterface().get_signing_serializer(app).dumps(data)


def forged_cookie(app, data):
    """A genuine cookie whose payload is swapped for `data`, keeping the signature."""
    _, timestamp, signature = session_cookie(app, {DIRECTORY_KEY: ALEXES}).split(".")
    payload = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{payload}.{timestamp}.{signature}"


@pytest.mark.parametrize(
    "make_cookie",
    [
        pytest.param(lambda app: "not-a-signed-value", id="garbage"),
        pytest.param(lambda app: forged_cookie(app, {DIRECTORY_KEY: SAMS}), id="tampered"),
        pytest.param(
            lambda app: session_cookie(
                create_app({"SECRET_KEY": "another"}), {DIRECTORY_KEY: SAMS}
            ),
            id="signed-with-another-key",
        ),
    ],
)
def test_bad_cookie_starts_a_fresh_conversation(app, texting, make_cookie):
    send = texting()
    send.client.set_cookie("session", make_cookie(app))
    assert send("1") == message_xml(NO_LIST)


@pytest.mark.parametrize(
    "stored",
    ["choose:1,2", [7, 8], {"step": "choose", "ids": ["7", "8"]}, {"ids": [7, 8]}, 5, None],
    ids=repr,
)
def test_session_holding_garbage_starts_over(app, texting, stored):
    send = texting()
    send.client.set_cookie("session", session_cookie(app, {DIRECTORY_KEY: stored}))
    assert send("1") == message_xml(NO_LIST)
    assert send("alex") == message_xml(ALEX_LIST)


def test_a_valid_cookie_continues_the_conversation(app, texting):
    send = texting()
    send.client.set_cookie("session", session_cookie(app, {DIRECTORY_KEY: ALEXES}))
    assert send("1") == message_xml(ALEX_MORGAN)


def test_cookie_stays_small_for_the_largest_list(texting):
    send = texting()
    send("s")  # more matches than a list shows: the longest list
    value = send.client.get_cookie("session").value
    assert len(value) < 200  # browsers and Twilio allow about 4 kB


def test_cookie_size_does_not_grow_with_the_directory():
    staff = [StaffMember(i, f"Sam Number{i}", "R", str(i), "e") for i in range(100_000, 101_000)]
    app = create_app({"SECRET_KEY": "k", "STAFF": staff})
    client = app.test_client()
    client.post("/directory", data={"From": SENDER, "To": TWILIO_NUMBER, "Body": "sam"})
    value = client.get_cookie("session").value
    assert read_session_cookie(value)[DIRECTORY_KEY]["ids"] == list(range(100_000, 100_005))
    assert len(value) < 200


def test_anyone_can_read_the_cookie_without_the_key(texting):
    send = texting()
    send("sam")
    assert read_session_cookie(send.client.get_cookie("session").value) == {DIRECTORY_KEY: SAMS}


def test_a_forged_cookie_is_readable_but_not_verified(app):
    forged = forged_cookie(app, {DIRECTORY_KEY: SAMS})
    assert read_session_cookie(forged) == {DIRECTORY_KEY: SAMS}
    assert verify_session_cookie(app, forged) is None
    assert directory_state(app, forged) == IDLE


@pytest.mark.parametrize("value", ["", "garbage", "a.b.c", "...."])
def test_reading_garbage_gives_nothing(app, value):
    assert read_session_cookie(value) == {}
    assert verify_session_cookie(app, value) is None
    assert directory_state(app, value) == IDLE


def test_verify_accepts_the_apps_own_cookie(app):
    assert verify_session_cookie(app, session_cookie(app, {DIRECTORY_KEY: ALEXES})) == {
        DIRECTORY_KEY: ALEXES
    }


# --- signatures -------------------------------------------------------------------------------

PARAMS = {"From": SENDER, "To": TWILIO_NUMBER, "Body": "alex", "MessageSid": "SM" + "0" * 32}


def sign(url, params):
    """The signature Twilio would send for this URL and form."""
    return RequestValidator(TEST_AUTH_TOKEN).compute_signature(url, params)


def test_signed_conversation_works(signed_app):
    client = signed_app.test_client()
    headers = {"X-Twilio-Signature": sign(f"{PUBLIC_URL}/directory", PARAMS)}
    assert client.post("/directory", data=PARAMS, headers=headers).status_code == 200
    pick = {**PARAMS, "Body": "1"}
    headers = {"X-Twilio-Signature": sign(f"{PUBLIC_URL}/directory", pick)}
    response = client.post("/directory", data=pick, headers=headers)
    assert response.get_data(as_text=True) == message_xml(ALEX_MORGAN)


def test_signed_get_covers_the_url_only(signed_app):
    query = urlencode(PARAMS)
    headers = {"X-Twilio-Signature": sign(f"{PUBLIC_URL}/directory?{query}", {})}
    response = signed_app.test_client().get(f"/directory?{query}", headers=headers)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "Missing X-Twilio-Signature header"),
        ({"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}, "Invalid X-Twilio-Signature"),
        (
            {"X-Twilio-Signature": sign(f"{PUBLIC_URL}/sms", PARAMS)},
            "Invalid X-Twilio-Signature for https://example.ngrok.app/directory",
        ),
        (
            {"X-Twilio-Signature": sign(f"{PUBLIC_URL}/directory", {**PARAMS, "Body": "sam"})},
            "Invalid X-Twilio-Signature",
        ),
    ],
    ids=["missing", "forged", "signed-for-the-counter", "body-changed"],
)
def test_bad_signature_gets_403(signed_app, headers, reason):
    response = signed_app.test_client().post("/directory", data=PARAMS, headers=headers)
    assert response.status_code == 403
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith(reason)
    assert list(signed_app.extensions["recent_requests"])[-1].status == 403
