"""The record of a pointed number's old webhook: on disk before the change, readable by any JSON reader."""

import json
import os
import stat

import pytest

from companion_app.golive import number_record
from companion_app.golive.number import recover_earlier, restore_by_hand


def test_a_saved_record_is_json_with_the_old_webhook(tmp_path, monkeypatch):
    """save() writes a JSON file holding the old URL and method; load() gives it back."""
    monkeypatch.setenv(number_record.STATE_DIR_VARIABLE, str(tmp_path))
    monkeypatch.delenv("SMS_COOKIES_OFFLINE", raising=False)
    record = number_record.new_record(
        "+14155550199",
        "PN" + "1" * 32,
        "AC" + "2" * 32,
        _webhook("https://old.example/sms", "GET"),
        _webhook("https://tunnel.example/sms", "POST"),
    )
    number_record.save(record)
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1
    data = json.loads(files[0].read_text(encoding="utf-8"))
    assert (data["old_url"], data["old_method"]) == ("https://old.example/sms", "GET")
    assert number_record.load("+14155550199") == record
    assert data["pid"] == os.getpid()
    number_record.remove(record)
    assert number_record.load("+14155550199") is None


def _webhook(url, method):
    from companion_app.golive.twilio_api import Webhook

    return Webhook(url, method)


def write_record(**changes):
    """A record file as the tool writes it, with some fields replaced."""
    data = {
        "phone_number": "+14155550199",
        "sid": "PN" + "1" * 32,
        "account_sid": "AC" + "0" * 32,
        "old_url": "https://demo.twilio.com/welcome/sms/reply",
        "old_method": "GET",
        "new_url": "https://a1b2.ngrok-free.app/sms",
        "pid": 123,
        "started": 1.0,
        **changes,
    }
    folder = number_record.ensure_state_dir()
    path = folder / "number-14155550199.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"pid": "123"}, "pid is not a process id"),
        ({"pid": None}, "pid is not a process id"),
        ({"pid": 10**30}, "pid is not a process id"),
        ({"started": "yesterday"}, "started is not a time"),
    ],
)
def test_a_damaged_record_is_named_not_a_crash(changes, why):
    path = write_record(**changes)
    lines, done = restore_by_hand()
    assert not done
    assert lines == [
        f"The record {path} is damaged ({why}): check that number's SMS webhook in the Twilio "
        "Console (Phone Numbers), set it back if needed, then delete that file."
    ]
    assert recover_earlier() == lines  # serve --tunnel and go_live carry on, saying the same


def test_the_state_folder_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv(number_record.STATE_DIR_VARIABLE, str(tmp_path / "fresh" / "state"))
    folder = number_record.ensure_state_dir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
