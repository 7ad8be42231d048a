"""point_number: the twilio Client replaced by a fake at companion_app.twilio_number.Client."""

from types import SimpleNamespace

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from companion_app.twilio_number import point_number

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-SECRET-auth-token-value"
PUBLIC = "https://example.ngrok.app"
NUMBER = "+14155550199"
OLD_URL = "https://demo.twilio.com/welcome/sms/reply"


def phone(number=NUMBER, sid="PN" + "1" * 32, sms_url=OLD_URL, sms_method="GET"):
    """An IncomingPhoneNumber record as the fake account holds it."""
    return SimpleNamespace(sid=sid, phone_number=number, sms_url=sms_url, sms_method=sms_method)


class FakeTwilio:
    """A fake account behind a fake twilio Client: records every call, can fail on any of them."""

    def __init__(self):
        self.numbers = [phone()]
        self.calls = []
        self.clients = []
        self.list_error = None
        self.update_errors = []  # raised by the next update() calls, in order (None: succeed)

    def client(self, account_sid, auth_token, http_client=None):
        """The fake `Client` class: Client(account_sid, auth_token, http_client=…)."""
        self.clients.append((account_sid, auth_token, http_client))
        return SimpleNamespace(incoming_phone_numbers=FakeNumbers(self))


class FakeNumbers:
    """client.incoming_phone_numbers: .list(...) and (sid).update(...)."""

    def __init__(self, account):
        self.account = account

    def list(self, **filters):
        self.account.calls.append(("list", filters))
        if self.account.list_error:
            raise self.account.list_error
        wanted = filters.get("phone_number")
        return [n for n in self.account.numbers if wanted in (None, n.phone_number)]

    def __call__(self, sid):
        account = self.account

        def update(**fields):
            account.calls.append(("update", sid, fields))
            error = account.update_errors.pop(0) if account.update_errors else None
            if error:
                raise error
            return SimpleNamespace(sid=sid, **fields)

        return SimpleNamespace(update=update)


@pytest.fixture
def twilio(monkeypatch):
    """A fake Twilio account in place of the twilio Client class; no credentials set yet."""
    account = FakeTwilio()
    monkeypatch.setattr("companion_app.twilio_number.Client", account.client)
    return account


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
        "and TWILIO_AUTH_TOKEN (the live ones, from https://console.twilio.com); the number was "
        "not changed."
    )


def test_failure_while_restoring_says_how_to_do_it_by_hand(twilio, credentials):
    twilio.update_errors = [None, requests.ConnectionError("no route")]
    pointed = point_number(PUBLIC, NUMBER)
    assert pointed.restore() == (
        f"Could not reach Twilio's API while restoring {NUMBER} (no internet?): connect to the "
        f"internet and try again; set its SMS webhook back to {OLD_URL} (GET) by hand in the "
        "Console (https://console.twilio.com/us1/develop/phone-numbers/manage/incoming)."
    )


def test_the_auth_token_is_never_in_a_message(twilio, credentials):
    twilio.list_error = rest_error(401, 20003, msg=f"bad {AUTH_TOKEN}")
    messages = [point_number(PUBLIC, NUMBER).message]
    twilio.list_error = None
    pointed = point_number(PUBLIC, NUMBER)
    messages += [pointed.message, pointed.restore(), repr(pointed)]
    assert not any(AUTH_TOKEN in m for m in messages)


def test_real_client_offline_says_no_internet(credentials, monkeypatch):
    """The real twilio client on this machine: api.twilio.com cannot be resolved."""
    from tests.test_tunnel import resolves

    if resolves("api.twilio.com"):
        pytest.skip("this machine is online: the real offline failure cannot happen here")
    result = point_number(PUBLIC, NUMBER)
    assert result.message == (
        "Could not reach Twilio's API while looking up your numbers (no internet?): connect to "
        "the internet and try again."
    )
