"""Point the learner's Twilio number at the public webhook URL, and put the old setting back after."""

import requests
from twilio.base.exceptions import TwilioException

from companion_app.golive import number_record
from companion_app.golive.number_record import RESTORE_COMMAND
from companion_app.golive.skipped import NumberNotPointed
from companion_app.golive.twilio_api import (
    API_TIMEOUT,
    CONSOLE_NUMBERS,
    NumberError,
    Webhook,
    explain,
    find_number,
    make_client,
    read_back,
)
from companion_app.settings import read_environment

__all__ = [
    "API_TIMEOUT",
    "CONSOLE_NUMBERS",
    "NumberError",
    "NumberNotPointed",
    "PointedNumber",
    "Webhook",
    "explain",
    "find_number",
    "make_client",
    "point_number",
    "read_back",
    "recover_earlier",
    "restore_all",
    "restore_by_hand",
]


def by_hand(old):
    """The sentence that says how to put a number back without this process."""
    return (
        f"put it back with `{RESTORE_COMMAND}`, or set its SMS webhook to {old} in the Console "
        f"({CONSOLE_NUMBERS})"
    )


#: Numbers pointed by this process and not restored yet.
_active = set()


def restore_all():
    """Restore every number this process pointed and did not restore yet; return the sentences."""
    return [pointed.restore() for pointed in list(_active)]


class PointedNumber:
    """A number whose SMS webhook was changed; restore() (or leaving the with block) puts it back.

    Its original webhook is on disk (companion_app.golive.number_record) until Twilio confirms the restore.
    """

    ok = True

    def __init__(self, client, record, message=None):
        self.phone_number = record.phone_number
        self.sid = record.sid
        self.old = Webhook(record.old_url, record.old_method)
        self.new = Webhook(record.new_url, "POST")
        self.record = record
        self.message = message or (
            f"Pointed {self.phone_number} at {self.new}; it was {self.old}, put back on close."
        )
        self._client = client
        self._restored = False
        number_record.hold(record)
        _active.add(self)

    def restore(self):
        """Put the old webhook back; return a sentence saying so (or how to do it by hand)."""
        if self._restored:
            return f"{self.phone_number} was already restored to {self.old}."
        self._restored = True
        try:
            return restore_record(self.record, self._client)
        finally:
            number_record.release(self.record)
            _active.discard(self)

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


def restore_record(record, client, earlier=False):
    """Set the recorded number back to its old webhook; remove the record once Twilio confirms it.

    With earlier=True the record was left by a process that ended without restoring: the number is
    only changed if it still points where that process pointed it.
    """
    old = Webhook(record.old_url, record.old_method)
    who = f"An earlier session (process {record.pid}) ended without putting {record.phone_number} back"
    if earlier:
        seen = read_back(client, record.sid)
        if seen is None:
            return (
                f"{who}, and Twilio could not be asked what it points at now (no internet?): the "
                f"record is kept; {by_hand(old)}."
            )
        if seen.url == old.url:
            number_record.remove(record)
            return f"{who}, but it points at {old.url} again already: nothing to do."
        if seen.url != record.new_url:
            number_record.remove(record)
            return (
                f"{who}, but it now points at {seen}, set since then: left as it is (before that "
                f"session it was {old})."
            )
    try:
        client.incoming_phone_numbers(record.sid).update(sms_url=old.url, sms_method=old.method)
    except (TwilioException, requests.RequestException, OSError) as error:
        seen = read_back(client, record.sid)
        if seen is None or seen.url != old.url:
            why = explain(error, f"restoring {record.phone_number}").rstrip(".")
            return f"{why}; its old webhook {old} is kept on record: {by_hand(old)}."
    number_record.remove(record)
    if earlier:
        return f"{who}: restored it, its SMS webhook is {old} again."
    return f"Restored {record.phone_number}: its SMS webhook is {old} again."


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
        number = find_number(client, number)
    except NumberError as error:
        return NumberNotPointed("not-found", str(error), number)
    old = Webhook(number.sms_url or "", number.sms_method or "POST")
    new = Webhook(target, "POST")

    earlier = number_record.load(number.phone_number)
    if earlier is not None and earlier.owner_alive:
        return NumberNotPointed(
            "in-use",
            f"Not changing {number.phone_number}: another live session of this tool (process "
            f"{earlier.pid}) pointed it at {earlier.new_url} and puts it back to "
            f"{Webhook(earlier.old_url, earlier.old_method)} when it stops. Stop that session "
            f"first (or run `{RESTORE_COMMAND}`), then try again.",
            number.phone_number,
        )
    if earlier is not None and old.url == earlier.new_url:
        old = Webhook(earlier.old_url, earlier.old_method)  # never the dead tunnel as "original"

    record = number_record.new_record(
        number.phone_number, number.sid, found["TWILIO_ACCOUNT_SID"], old, new
    )
    try:
        number_record.save(record)
    except OSError as error:
        return NumberNotPointed(
            "no-record",
            f"Not changing {number.phone_number}: its current webhook could not be saved first "
            f"({type(error).__name__} in {number_record.state_dir()}); set "
            f"{number_record.STATE_DIR_VARIABLE} to a folder you can write to.",
            number.phone_number,
        )
    try:
        client.incoming_phone_numbers(number.sid).update(sms_url=new.url, sms_method=new.method)
    except (TwilioException, requests.RequestException, OSError) as error:
        return _after_a_failed_update(client, record, old, new, error)
    except BaseException:
        PointedNumber(client, record).restore()  # interrupted mid-call: it may have been applied
        raise
    return PointedNumber(client, record)


def _after_a_failed_update(client, record, old, new, error):
    """Twilio's answer to the update was an error or never came: read the number back to tell."""
    why = explain(error, f"updating {record.phone_number}").rstrip(".")
    seen = read_back(client, record.sid)
    if seen is not None and seen.url == new.url:
        return PointedNumber(
            client,
            record,
            f"Pointed {record.phone_number} at {new}: Twilio's reply was lost, but reading the "
            f"number back shows the change; it was {old}, put back on close.",
        )
    if seen is not None:
        number_record.remove(record)
        return NumberNotPointed(
            "update-failed",
            f"{why}; reading it back shows the number was not changed (it is {seen}).",
            record.phone_number,
        )
    return PointedNumber(
        client,
        record,
        f"{why}, and reading it back failed too: {record.phone_number} may point at {new}. "
        f"It is set back to {old} on close; if that fails, {by_hand(old)}.",
    )


def recover_earlier(env_file=".env"):
    """Put back the numbers that ended sessions left pointed; return the sentences to print."""
    stale = [r for r in number_record.load_all() if not r.owner_alive]
    if not stale:
        return number_record.damaged_lines()
    found = read_environment(env_file)
    lines = []
    client = None
    if {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"} <= found.keys():
        client = make_client(found["TWILIO_ACCOUNT_SID"], found["TWILIO_AUTH_TOKEN"])
    for record in stale:
        old = Webhook(record.old_url, record.old_method)
        if client is None or record.account_sid != found["TWILIO_ACCOUNT_SID"]:
            lines.append(
                f"An earlier session (process {record.pid}) ended without putting "
                f"{record.phone_number} back: it points at {record.new_url}, and it was {old}. "
                "Without that account's TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN it cannot be "
                "put back from here."
            )
        else:
            lines.append(restore_record(record, client, earlier=True))
    lines += number_record.damaged_lines()
    lines.append(f"To put a number back by hand at any time: {RESTORE_COMMAND}")
    return lines


def restore_by_hand(number=None, env_file=".env"):
    """Put back every recorded number (or only `number`); return (sentences, all restored?)."""
    records = [r for r in number_record.load_all() if number in (None, r.phone_number)]
    broken = number_record.damaged_lines()
    if not records:
        where = number_record.state_dir()
        if broken:
            return broken, False
        return [f"Nothing to restore: no number is on record in {where}."], True
    found = read_environment(env_file)
    if not {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"} <= found.keys():
        lines = [
            f"{r.phone_number} should be set back to {Webhook(r.old_url, r.old_method)}."
            for r in records
        ]
        lines.append(
            "Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (environment or .env) and run this "
            f"again, or set each one back in the Console ({CONSOLE_NUMBERS})."
        )
        return lines, False
    client = make_client(found["TWILIO_ACCOUNT_SID"], found["TWILIO_AUTH_TOKEN"])
    lines, done = [], True
    for record in records:
        if record.account_sid != found["TWILIO_ACCOUNT_SID"]:
            lines.append(
                f"{record.phone_number} belongs to another account ({record.account_sid}): run "
                "this again with that account's credentials."
            )
            done = False
            continue
        if record.owner_alive:
            lines.append(
                f"Process {record.pid} still runs with {record.phone_number}: it finds the number "
                "already put back when it stops."
            )
        lines.append(restore_record(record, client))
        done = done and number_record.load(record.phone_number) is None
    return lines + broken, done and not broken
