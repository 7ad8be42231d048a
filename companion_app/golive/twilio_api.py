"""Twilio's REST API for the learner's number: find it, read its webhook back, and every failure as
one sentence with the fix (the calls that number.py makes)."""

import json
from dataclasses import dataclass

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

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


def _status_and_code(error):
    """(HTTP status, Twilio error code) of a refused call, or (None, None).

    fetch() and update() raise TwilioRestException; list() raises a plain
    TwilioException("Unable to fetch page", response) with Twilio's error JSON in the response.
    """
    if isinstance(error, TwilioRestException):
        return error.status, error.code
    response = error.args[1] if isinstance(error, TwilioException) and len(error.args) > 1 else None
    status = getattr(response, "status_code", None)
    if not isinstance(status, int):
        return None, None
    try:
        code = json.loads(response.text).get("code")
    except (TypeError, ValueError, AttributeError):
        code = None
    return status, code if isinstance(code, int) else None


def explain(error, doing):
    """One plain sentence for a failed API call; `doing` says what was being done ("finding …")."""
    status, code = _status_and_code(error)
    if status is not None:
        if status == 401:
            return (
                f"Twilio refused the credentials while {doing} (401): check TWILIO_ACCOUNT_SID "
                "and TWILIO_AUTH_TOKEN (the live ones, from https://console.twilio.com)."
            )
        if status == 403:
            return (
                f"Twilio did not allow {doing} (403): test credentials cannot manage numbers; "
                "use the live TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN."
            )
        if status == 404:
            return (
                f"Twilio found nothing while {doing} (404): check TWILIO_ACCOUNT_SID and that "
                "the number belongs to that account."
            )
        if status == 429:
            return (
                f"Twilio asked to slow down while {doing} (429, too many requests): wait a "
                "minute, then try again."
            )
        which = f"error {code}" if code else f"HTTP {status}"
        more = f"https://www.twilio.com/docs/api/errors/{code}" if code else "the message"
        return f"Twilio refused {doing} ({which}): see {more} for the fix."
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


def read_back(client, sid):
    """The number's SMS webhook as Twilio has it now, or None when Twilio cannot be asked."""
    try:
        found = client.incoming_phone_numbers(sid).fetch()
    except (TwilioException, requests.RequestException, OSError):
        return None
    return Webhook(found.sms_url or "", found.sms_method or "POST")
