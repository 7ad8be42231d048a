"""The hosts benchmark runs against real redis-server, nginx and gunicorn (a smoke run, not a timing)."""

import pytest

from benchmarks import hosts
from companion_app.serving.hosts import missing

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(missing()), reason=(missing() or [""])[0]),
]


def test_every_count_is_exact_with_retries_and_a_host_killed():
    rows = hosts.measure(host_counts=(1, 2), pairs=6, messages=10)
    assert [(r["hosts"], r["killed"], r["messages"], r["retries"]) for r in rows] == [
        (1, "–", 60, 12),
        (2, "host 2", 60, 12),
    ]
    assert [(r["failed"], r["wrong_replies"], r["exact"], r["over"]) for r in rows] == [
        (0, 0, True, 0),
        (0, 0, True, 0),
    ]


def test_the_table_gives_throughput_as_a_ratio_to_one_host():
    rows = [
        {"hosts": n, "killed": "–", "messages": 1, "deliveries": 1, "retries": 0, "resent": 0}
        | {"failed": 0, "wrong_replies": 0, "exact": True, "over": 0, "per_second": 100.0 * n}
        for n in (1, 2)
    ]
    assert [line.rsplit("|", 2)[1].strip() for line in hosts.table(rows).splitlines()[2:]] == [
        "×1.00",
        "×2.00",
    ]
