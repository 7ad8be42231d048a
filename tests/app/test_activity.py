"""The recent-requests table a learner reads while requests arrive."""

from datetime import datetime, timezone

from companion_app.app.activity import RecentRequests

SENDER, TWILIO_NUMBER = "+14155550100", "+14155550199"


def test_the_table_columns_line_up_under_their_headings():
    recent = RecentRequests()
    at = datetime(2025, 1, 6, 9, 1, 2, tzinfo=timezone.utc)
    recent.record(time=at, from_=SENDER, to=TWILIO_NUMBER, count=12, signature="valid", status=200)
    recent.record(
        time=at, from_=SENDER, to=TWILIO_NUMBER, count=None, signature="invalid", status=403
    )
    assert recent.table().splitlines() == [
        "time UTC  from          to            count  signature  status",
        "09:01:02  +14155550100  +14155550199     12  valid      200",
        "09:01:02  +14155550100  +14155550199      -  invalid    403",
    ]


def test_the_table_shows_the_last_few_and_says_when_empty():
    recent = RecentRequests(size=3)
    assert recent.table() == "No requests received yet."
    for count in range(1, 6):
        recent.record(from_=SENDER, to=TWILIO_NUMBER, count=count, signature="off", status=200)
    assert [line.split()[3] for line in recent.table(limit=2).splitlines()[1:]] == ["4", "5"]
