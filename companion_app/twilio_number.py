"""Point the learner's Twilio number at the public webhook URL, and put the old setting back after."""

from dataclasses import dataclass

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from companion_app.settings import read_environment

#: Seconds to wait for Twilio's API before giving up.
API_TIMEOUT = 15
CONSOLE_NUMBERS = "https://console.twilio.com/us1/develop/phone-numbers/manage/incoming"


class NumberError(Exception):
    """A Twilio number could not be found, changed or restored; str() is one sentence with the fix."""


@dataclass(frozen=True)
class Webhook:
    """Where a number sends incoming SMS: URL and HTTP method."""

    url: str
    method: str

    def __str__(self):
        return f"{self.url or '(no URL)'} ({self.method})"


def explain(error, doing):
    """One plain sentence for a failed API call; `doing` says what was being done ("finding …")."""
    if isinstance(error, TwilioRestException):
        if error.status == 401:
            return (
                f"Twilio refused the credentials while {doing} (401): check TWILIO_ACCOUNT_SID "
                "and TWILIO_AUTH_TOKEN (the live ones, from https://console.twilio.com)."
            )
        if error.status == 403:
            return (
                f"Twilio did not allow {doing} (403): test credentials cannot manage numbers; "
                "use the live TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN."
            )
        if error.status == 404:
            return (
                f"Twilio found nothing while {doing} (404): check TWILIO_ACCOUNT_SID and that "
                "the number belongs to that account."
            )
        code = f"error {error.code}" if error.code else f"HTTP {error.status}"
        more = (
            f"https://www.twilio.com/docs/api/errors/{error.code}" if error.code else "the message"
        )
        return f"Twilio refused {doing} ({code}): see {more} for the fix."
    if isinstance(error, (requests.ConnectionError, requests.Timeout, OSError)):
        return (
            f"Could not reach Twilio's API while {doing} (no internet?): connect to the "
            "internet and try again."
        )
    return f"Twilio's client failed while {doing} ({type(error).__name__}): try again."


def make_client(account_sid, auth_token):
    """A twilio REST client whose requests give up after API_TIMEOUT seconds."""
    return Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=API_TIMEOUT))


def find_number(client, number=None):
    """The account's number `number`, or its only number; NumberError when that is not one number."""
    try:
        if number:
            found = client.incoming_phone_numbers.list(phone_number=number, limit=20)
        else:
            found = client.incoming_phone_numbers.list(limit=20)
    except (TwilioException, requests.RequestException, OSError) as error:
        raise NumberError(explain(error, "looking up your numbers")) from None
    if number:
        found = [n for n in found if n.phone_number == number]
        if not found:
            raise NumberError(
                f"{number} is not a number on this Twilio account: check it (E.164, like "
                "+14155550100), or leave it out to use the account's only number."
            )
        return found[0]
    if not found:
        raise NumberError(
            "This Twilio account has no phone number: get one in the Console "
            f"({CONSOLE_NUMBERS}), then try again."
        )
    if len(found) > 1:
        shown = ", ".join(n.phone_number for n in found[:5]) + (", …" if len(found) > 5 else "")
        raise NumberError(
            f"This Twilio account has several numbers ({shown}): say which one with "
            "number='+1…' (or --number, or TWILIO_PHONE_NUMBER)."
        )
    return found[0]


class PointedNumber:
    """A number whose SMS webhook was changed; restore() (or leaving the with block) puts it back."""

    ok = True

    def __init__(self, client, sid, phone_number, old, new):
        self.phone_number = phone_number
        self.sid = sid
        self.old = old
        self.new = new
        self.message = f"Pointed {phone_number} at {new}; it was {old}, put back on close."
        self._client = client
        self._restored = False

    def restore(self):
        """Put the old webhook back; return a sentence saying so (or how to do it by hand)."""
        if self._restored:
            return f"{self.phone_number} was already restored to {self.old}."
        self._restored = True
        try:
            self._client.incoming_phone_numbers(self.sid).update(
                sms_url=self.old.url, sms_method=self.old.method
            )
        except (TwilioException, requests.RequestException, OSError) as error:
            why = explain(error, f"restoring {self.phone_number}").rstrip(".")
            return (
                f"{why}; set its SMS webhook back to {self.old} by hand in the Console "
                f"({CONSOLE_NUMBERS})."
            )
        return f"Restored {self.phone_number}: its SMS webhook is {self.old} again."

    @property
    def restored(self):
        """True once restore() was called."""
        return self._restored

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.restore()

    def __repr__(self):
        return f"<PointedNumber {self.phone_number} -> {self.new}>"


class NumberNotPointed:
    """Nothing was changed: `reason` says why and `message` says what would happen, or how to fix it."""

    ok = False

    def __init__(self, reason, message, phone_number=None):
        self.reason = reason
        self.message = message
        self.phone_number = phone_number

    def restore(self):
        """Nothing to restore."""
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.restore()

    def __repr__(self):
        return f"<NumberNotPointed {self.reason}: {self.message}>"


def point_number(public_url, number=None, env_file=".env"):
    """Point the number's SMS webhook at public_url + "/sms" (POST); use as a context manager.

    Needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (environment or .env); without them, or without
    a public URL, it changes nothing and its message says what it would have done.
    """
    found = read_environment(env_file)
    number = number or found.get("TWILIO_PHONE_NUMBER")
    which = number or "your Twilio number"
    target = f"{public_url.rstrip('/')}/sms" if public_url else "the tunnel's public URL + /sms"
    if not {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"} <= found.keys():
        return NumberNotPointed(
            "no-credentials",
            "No Twilio credentials (set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to go live): "
            f"with them this step would point {which} at {target} (POST) and put its old "
            "webhook back on close.",
            number,
        )
    if not public_url:
        return NumberNotPointed(
            "no-public-url",
            f"Not changing {which}: without a tunnel Twilio cannot reach this computer, so its "
            "webhook stays as it is.",
            number,
        )

    client = make_client(found["TWILIO_ACCOUNT_SID"], found["TWILIO_AUTH_TOKEN"])
    try:
        record = find_number(client, number)
    except NumberError as error:
        return NumberNotPointed("not-found", str(error), number)
    old = Webhook(record.sms_url or "", record.sms_method or "POST")
    new = Webhook(target, "POST")
    try:
        client.incoming_phone_numbers(record.sid).update(sms_url=new.url, sms_method=new.method)
    except (TwilioException, requests.RequestException, OSError) as error:
        why = explain(error, f"updating {record.phone_number}").rstrip(".")
        return NumberNotPointed(
            "update-failed", f"{why}; the number was not changed.", record.phone_number
        )
    return PointedNumber(client, record.sid, record.phone_number, old, new)
