"""point_number: the twilio Client replaced by a fake at companion_app.golive.twilio_api.Client."""

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from companion_app.golive import number_record
from companion_app.golive.number import (
    point_number,
    recover_earlier,
    restore_all,
    restore_by_hand,
)
from tests.support.fakes import ACCOUNT_SID, OLD_URL, FakeNumbers, FakeTwilio, phone

AUTH_TOKEN = "twilio-SECRET-auth-token-value"
PUBLIC = "https://example.ngrok.app"
NUMBER = "+14155550199"


RESTORE_COMMAND = "python -m companion_app restore-number"


def records():
    """The records of pointed numbers on disk, as JSON."""
    folder = number_record.state_dir()
    return [json.loads(p.read_text()) for p in sorted(folder.glob("number-*.json"))]


def dead_pid():
    """The id of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def left_behind(pid, new_url=f"{PUBLIC}/sms", account_sid=ACCOUNT_SID):
    """A record as a process that ended without restoring leaves it."""
    record = number_record.Record(
        phone_number=NUMBER,
        sid="PN" + "1" * 32,
        account_sid=account_sid,
        old_url=OLD_URL,
        old_method="GET",
        new_url=new_url,
        pid=pid,
        started=1.0,
    )
    number_record.save(record)
    return record


@pytest.fixture
def twilio(monkeypatch):
    """A fake Twilio account in place of the twilio Client class; no credentials set yet.

    Whatever a test left pointed is restored when it ends."""
    account = FakeTwilio()
    monkeypatch.setattr("companion_app.golive.twilio_api.Client", account.client)
    yield account
    restore_all()  # what a test left pointed is put back now, not at exit


@pytest.fixture
def credentials(monkeypatch):
    """TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN in the environment."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)


def test_points_the_given_number_and_restores_it(twilio, credentials):
    with point_number(PUBLIC, NUMBER) as pointed:
        assert pointed.ok
        assert pointed.phone_number == NUMBER
        assert twilio.calls == [
            ("list", {"phone_number": NUMBER, "limit": 20}),
            ("update", "PN" + "1" * 32, {"sms_url": f"{PUBLIC}/sms", "sms_method": "POST"}),
        ]
    assert twilio.calls[-1] == (
        "update",
        "PN" + "1" * 32,
        {"sms_url": OLD_URL, "sms_method": "GET"},
    )
    assert pointed.restored
    assert pointed.message == (
        f"Pointed {NUMBER} at {PUBLIC}/sms (POST); it was {OLD_URL} (GET), put back on close."
    )


def test_client_gets_the_credentials_and_a_timeout(twilio, credentials):
    point_number(PUBLIC, NUMBER)
    ((sid, token, http_client),) = twilio.clients
    assert (sid, token) == (ACCOUNT_SID, AUTH_TOKEN)
    assert http_client.timeout == 15


def test_credentials_from_dotenv(twilio, tmp_path):
    (tmp_path / ".env").write_text(
        f"TWILIO_ACCOUNT_SID={ACCOUNT_SID}\nTWILIO_AUTH_TOKEN={AUTH_TOKEN}\n"
    )
    assert point_number(PUBLIC).ok
    assert twilio.clients[0][:2] == (ACCOUNT_SID, AUTH_TOKEN)


def test_the_only_number_on_the_account(twilio, credentials):
    pointed = point_number(PUBLIC)
    assert pointed.phone_number == NUMBER
    assert twilio.calls[0] == ("list", {"limit": 20})


def test_twilio_phone_number_setting(twilio, credentials, monkeypatch):
    twilio.numbers = [phone("+14155550111", sid="PN" + "2" * 32), phone()]
    monkeypatch.setenv("TWILIO_PHONE_NUMBER", NUMBER)
    pointed = point_number(PUBLIC)
    assert pointed.phone_number == NUMBER
    assert twilio.calls[0] == ("list", {"phone_number": NUMBER, "limit": 20})


def test_trailing_slash_in_public_url(twilio, credentials):
    point_number(PUBLIC + "/", NUMBER)
    assert twilio.calls[1][2]["sms_url"] == f"{PUBLIC}/sms"


def test_an_empty_old_webhook_is_restored_as_empty(twilio, credentials):
    twilio.numbers = [phone(sms_url=None, sms_method=None)]
    with point_number(PUBLIC, NUMBER):
        pass
    assert twilio.calls[-1][2] == {"sms_url": "", "sms_method": "POST"}


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, RuntimeError])
def test_restored_on_interrupt_and_error(twilio, credentials, interruption):
    with pytest.raises(interruption), point_number(PUBLIC, NUMBER):
        raise interruption()
    assert twilio.calls[-1] == (
        "update",
        "PN" + "1" * 32,
        {"sms_url": OLD_URL, "sms_method": "GET"},
    )


def test_restore_twice_updates_once(twilio, credentials):
    pointed = point_number(PUBLIC, NUMBER)
    assert pointed.restore() == f"Restored {NUMBER}: its SMS webhook is {OLD_URL} (GET) again."
    assert pointed.restore() == f"{NUMBER} was already restored to {OLD_URL} (GET)."
    assert [c[0] for c in twilio.calls] == ["list", "update", "update"]


def test_without_credentials_it_only_says_what_it_would_do(twilio):
    result = point_number(PUBLIC, NUMBER)
    assert not result.ok
    assert result.reason == "no-credentials"
    assert result.message == (
        "No Twilio credentials (set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to go live): with "
        f"them this step would point {NUMBER} at {PUBLIC}/sms (POST) and put its old webhook "
        "back on close."
    )
    assert twilio.clients == [] and twilio.calls == []
    assert result.restore() is None


def test_without_credentials_or_tunnel(twilio):
    result = point_number(None)
    assert result.message == (
        "No Twilio credentials (set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to go live): with "
        "them this step would point your Twilio number at the tunnel's public URL + /sms (POST) "
        "and put its old webhook back on close."
    )


def test_only_one_credential_is_not_enough(twilio, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    assert point_number(PUBLIC).reason == "no-credentials"
    assert twilio.clients == []


def test_without_a_public_url_the_number_is_left_alone(twilio, credentials):
    result = point_number(None, NUMBER)
    assert result.reason == "no-public-url"
    assert result.message == (
        f"Not changing {NUMBER}: without a tunnel Twilio cannot reach this computer, so its "
        "webhook stays as it is."
    )
    assert twilio.clients == []


@pytest.mark.parametrize(
    ("numbers", "number", "message"),
    [
        (
            [],
            None,
            "This Twilio account has no phone number: get one in the Console "
            "(https://console.twilio.com/us1/develop/phone-numbers/manage/incoming), then try again.",
        ),
        (
            [phone(), phone("+14155550111")],
            None,
            "This Twilio account has several numbers (+14155550199, +14155550111): say which one "
            "with number='+1…' (or --number, or TWILIO_PHONE_NUMBER).",
        ),
        (
            [phone()],
            "+14155550123",
            "+14155550123 is not a number on this Twilio account: check it (E.164, like "
            "+14155550100), or leave it out to use the account's only number.",
        ),
    ],
)
def test_which_number(twilio, credentials, numbers, number, message):
    twilio.numbers = numbers
    result = point_number(PUBLIC, number)
    assert (result.ok, result.reason, result.message) == (False, "not-found", message)
    assert [c[0] for c in twilio.calls] == ["list"]  # nothing was changed


def rest_error(status, code=None, msg="Authenticate"):
    """A TwilioRestException as the client raises it."""
    return TwilioRestException(status, "https://api.twilio.com/…", msg=msg, code=code)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            rest_error(401, 20003),
            "Twilio refused the credentials while looking up your numbers (401): check "
            "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (the live ones, from "
            "https://console.twilio.com).",
        ),
        (
            rest_error(403, 20008),
            "Twilio did not allow looking up your numbers (403): test credentials cannot manage "
            "numbers; use the live TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.",
        ),
        (
            rest_error(404, 20404),
            "Twilio found nothing while looking up your numbers (404): check TWILIO_ACCOUNT_SID "
            "and that the number belongs to that account.",
        ),
        (
            rest_error(500, 20500, "Internal Server Error"),
            "Twilio refused looking up your numbers (error 20500): see "
            "https://www.twilio.com/docs/api/errors/20500 for the fix.",
        ),
        (
            rest_error(503),
            "Twilio refused looking up your numbers (HTTP 503): see the message for the fix.",
        ),
        (
            requests.ConnectionError("Failed to resolve 'api.twilio.com'"),
            "Could not reach Twilio's API while looking up your numbers (no internet?): connect "
            "to the internet and try again.",
        ),
        (
            requests.Timeout("read timed out"),
            "Could not reach Twilio's API while looking up your numbers (no internet?): connect "
            "to the internet and try again.",
        ),
    ],
)
def test_api_failures_while_finding(twilio, credentials, capsys, error, message):
    twilio.list_error = error
    result = point_number(PUBLIC, NUMBER)
    assert (result.reason, result.message) == ("not-found", message)
    assert capsys.readouterr() == ("", "")


def test_failure_while_updating(twilio, credentials):
    twilio.update_errors = [rest_error(401, 20003)]
    result = point_number(PUBLIC, NUMBER)
    assert result.reason == "update-failed"
    assert result.message == (
        f"Twilio refused the credentials while updating {NUMBER} (401): check TWILIO_ACCOUNT_SID "
        "and TWILIO_AUTH_TOKEN (the live ones, from https://console.twilio.com); reading it back "
        f"shows the number was not changed (it is {OLD_URL} (GET))."
    )
    assert records() == []


def test_failure_while_restoring_says_how_to_do_it_by_hand(twilio, credentials):
    twilio.update_errors = [None, requests.ConnectionError("no route")]
    pointed = point_number(PUBLIC, NUMBER)
    assert pointed.restore() == (
        f"Could not reach Twilio's API while restoring {NUMBER} (no internet?): connect to the "
        f"internet and try again; its old webhook {OLD_URL} (GET) is kept on record: put it back "
        f"with `python -m companion_app restore-number`, or set its SMS webhook to {OLD_URL} "
        "(GET) in the Console (https://console.twilio.com/us1/develop/phone-numbers/manage/incoming)."
    )
    assert [r["old_url"] for r in records()] == [OLD_URL]


def test_the_auth_token_is_never_in_a_message(twilio, credentials):
    twilio.list_error = rest_error(401, 20003, msg=f"bad {AUTH_TOKEN}")
    messages = [point_number(PUBLIC, NUMBER).message]
    twilio.list_error = None
    pointed = point_number(PUBLIC, NUMBER)
    messages += [pointed.message, pointed.restore(), repr(pointed)]
    assert not any(AUTH_TOKEN in m for m in messages)


def test_real_client_offline_says_no_internet(credentials, monkeypatch):
    """The real twilio client on this machine: api.twilio.com cannot be resolved."""
    from tests.support.fakes import resolves

    if resolves("api.twilio.com"):
        pytest.skip("this machine is online: the real offline failure cannot happen here")
    result = point_number(PUBLIC, NUMBER)
    assert result.message == (
        "Could not reach Twilio's API while looking up your numbers (no internet?): connect to "
        "the internet and try again."
    )


# --- the original webhook on disk ------------------------------------------------------------------


def test_the_original_is_on_disk_before_the_update_and_gone_after_the_restore(twilio, credentials):
    seen_at_update = []
    original_update = FakeNumbers.__call__

    def spying_call(numbers, sid):
        handle = original_update(numbers, sid)

        def update(**fields):
            seen_at_update.append(records())
            return handle.update(**fields)

        return SimpleNamespace(update=update, fetch=handle.fetch)

    FakeNumbers.__call__ = spying_call
    try:
        pointed = point_number(PUBLIC, NUMBER)
        on_disk = records()
        pointed.restore()
    finally:
        FakeNumbers.__call__ = original_update
    assert [r["old_url"] for r in seen_at_update[0]] == [OLD_URL]
    assert on_disk[0]["old_url"] == OLD_URL and on_disk[0]["old_method"] == "GET"
    assert on_disk[0]["new_url"] == f"{PUBLIC}/sms"
    assert on_disk[0]["pid"] == os.getpid()
    assert records() == []
    assert twilio.numbers[0].sms_url == OLD_URL


def test_the_record_is_written_atomically_and_readable(twilio, credentials):
    point_number(PUBLIC, NUMBER)
    folder = number_record.state_dir()
    assert [p.name for p in folder.iterdir()] == ["number-14155550199.json"]


def test_a_lost_reply_is_checked_by_reading_the_number_back(twilio, credentials):
    twilio.lost_replies = [requests.Timeout("read timed out")]
    pointed = point_number(PUBLIC, NUMBER)
    assert pointed.ok
    assert pointed.message == (
        f"Pointed {NUMBER} at {PUBLIC}/sms (POST): Twilio's reply was lost, but reading the "
        f"number back shows the change; it was {OLD_URL} (GET), put back on close."
    )
    assert twilio.numbers[0].sms_url == f"{PUBLIC}/sms"
    assert pointed.restore().startswith(f"Restored {NUMBER}")
    assert twilio.numbers[0].sms_url == OLD_URL
    assert records() == []


def test_a_lost_reply_that_cannot_be_checked_is_restored_anyway(twilio, credentials):
    twilio.lost_replies = [requests.Timeout("read timed out")]
    twilio.fetch_error = requests.ConnectionError("gone")
    pointed = point_number(PUBLIC, NUMBER)
    assert pointed.ok
    assert f"{NUMBER} may point at {PUBLIC}/sms (POST)" in pointed.message
    assert RESTORE_COMMAND in pointed.message
    pointed.restore()
    assert twilio.numbers[0].sms_url == OLD_URL
    assert records() == []


def test_a_lost_restore_reply_is_confirmed_by_reading_back(twilio, credentials):
    pointed = point_number(PUBLIC, NUMBER)
    twilio.lost_replies = [requests.Timeout("read timed out")]
    assert pointed.restore() == f"Restored {NUMBER}: its SMS webhook is {OLD_URL} (GET) again."
    assert records() == []


def test_a_live_session_s_tunnel_is_never_saved_as_original(twilio, credentials):
    """Another process of this tool (here: pytest's parent, which is alive) holds the number."""
    twilio.numbers[0].sms_url = "https://first.ngrok.app/sms"
    left_behind(os.getppid(), new_url="https://first.ngrok.app/sms")
    result = point_number("https://second.ngrok.app", NUMBER)
    assert (result.ok, result.reason) == (False, "in-use")
    assert result.message == (
        f"Not changing {NUMBER}: another live session of this tool (process {os.getppid()}) "
        f"pointed it at https://first.ngrok.app/sms and puts it back to {OLD_URL} (GET) when it "
        f"stops. Stop that session first (or run `{RESTORE_COMMAND}`), then try again."
    )
    assert [c[0] for c in twilio.calls] == ["list"]
    assert records()[0]["old_url"] == OLD_URL


def test_two_sessions_in_one_process(twilio, credentials):
    first = point_number("https://first.ngrok.app", NUMBER)
    second = point_number("https://second.ngrok.app", NUMBER)
    assert second.reason == "in-use"
    first.restore()
    assert twilio.numbers[0].sms_url == OLD_URL


def test_a_dead_session_s_tunnel_is_not_saved_as_original(twilio, credentials):
    twilio.numbers[0].sms_url = "https://dead.ngrok.app/sms"
    left_behind(dead_pid(), new_url="https://dead.ngrok.app/sms")
    pointed = point_number(PUBLIC, NUMBER)
    assert pointed.old.url == OLD_URL
    pointed.restore()
    assert twilio.numbers[0].sms_url == OLD_URL


@pytest.mark.parametrize(
    ("now", "after", "sentence"),
    [
        (
            f"{PUBLIC}/sms",
            OLD_URL,
            f"An earlier session (process PID) ended without putting {NUMBER} back: restored "
            f"it, its SMS webhook is {OLD_URL} (GET) again.",
        ),
        (
            OLD_URL,
            OLD_URL,
            f"An earlier session (process PID) ended without putting {NUMBER} back, but it "
            f"points at {OLD_URL} again already: nothing to do.",
        ),
        (
            "https://mine.example/sms",
            "https://mine.example/sms",
            f"An earlier session (process PID) ended without putting {NUMBER} back, but it now "
            "points at https://mine.example/sms (GET), set since then: left as it is (before "
            f"that session it was {OLD_URL} (GET)).",
        ),
    ],
)
def test_the_next_start_puts_back_what_a_killed_session_left(
    twilio, credentials, now, after, sentence
):
    twilio.numbers[0].sms_url = now
    pid = dead_pid()
    left_behind(pid)
    assert recover_earlier() == [
        sentence.replace("PID", str(pid)),
        f"To put a number back by hand at any time: {RESTORE_COMMAND}",
    ]
    assert twilio.numbers[0].sms_url == after
    assert records() == []


def test_the_next_start_without_credentials_says_what_to_do(twilio):
    pid = dead_pid()
    left_behind(pid)
    assert recover_earlier() == [
        f"An earlier session (process {pid}) ended without putting {NUMBER} back: it points at "
        f"{PUBLIC}/sms, and it was {OLD_URL} (GET). Without that account's TWILIO_ACCOUNT_SID "
        "and TWILIO_AUTH_TOKEN it cannot be put back from here.",
        f"To put a number back by hand at any time: {RESTORE_COMMAND}",
    ]
    assert len(records()) == 1


def test_the_next_start_offline_keeps_the_record(twilio, credentials):
    twilio.fetch_error = requests.ConnectionError("no route")
    left_behind(dead_pid())
    assert "the record is kept" in recover_earlier()[0]
    assert len(records()) == 1


def test_restore_by_hand(twilio, credentials):
    twilio.numbers[0].sms_url = f"{PUBLIC}/sms"
    left_behind(dead_pid())
    lines, done = restore_by_hand()
    assert lines == [f"Restored {NUMBER}: its SMS webhook is {OLD_URL} (GET) again."]
    assert done and records() == []
    assert twilio.numbers[0].sms_url == OLD_URL
    lines, done = restore_by_hand()
    assert done and lines[0].startswith("Nothing to restore: no number is on record in ")


def test_a_record_that_cannot_be_written_leaves_the_number_alone(
    twilio, credentials, tmp_path, monkeypatch
):
    (tmp_path / "blocked").write_text("a file, not a folder")
    monkeypatch.setenv(number_record.STATE_DIR_VARIABLE, str(tmp_path / "blocked" / "state"))
    result = point_number(PUBLIC, NUMBER)
    assert result.reason == "no-record"
    assert "SMS_COOKIES_STATE_DIR" in result.message
    assert [c[0] for c in twilio.calls] == ["list"]
