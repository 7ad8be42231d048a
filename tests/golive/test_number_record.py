"""The record of a pointed number's old webhook: on disk before the change, readable by any JSON reader."""

import json
import os

from companion_app.golive import number_record


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
