"""Hints answer what the learner wrote, in the learner's names, and never hand over the answer."""

import pytest

from companion_app import checks, create_app
from companion_app.teaching.verify import send, wait
from tests.answer_bank import nb04_tunnel

REY, NUMBER = "+14155550100", "+14155550199"
#: The answer to notebook 05's Exercise 2, which no hint may give away.
GIVEAWAYS = ("3 + 59 / 60", "59 / 60", "3.9833")


@pytest.mark.parametrize(
    ("hours", "said", "not_said"),
    [
        (4, "wait(4) is 4 hours", "wait(3.59)"),
        (3.59, "wait(3.59) is 3.59 hours (3 h 35 min)", "wait(4)"),
        (239, "wait(239) is 239 hours", "wait(3.59)"),
        (2, "wait(2) is 2 hours", "wait(3.59)"),
    ],
)
def test_a_wait_hint_is_about_the_wait_written(hours, said, not_said):
    script = [send(REY, NUMBER, "one"), send(REY, NUMBER, "two"), wait(hours)]
    report = repr(checks.check_edge_script([*script, send(REY, NUMBER, "three")]))
    assert said in report
    assert not_said not in report
    assert not any(giveaway in report for giveaway in GIVEAWAYS)


@pytest.mark.parametrize(
    "app",
    [nb04_tunnel.behind_tunnel, lambda: nb04_tunnel.behind_tunnel(TRUST_PROXY_HEADERS=True)],
    ids=["untouched", "proxy-headers-after-create-app"],
)
def test_the_tunnel_hint_does_not_hand_over_the_setting(app):
    report = repr(checks.check_accepts_twilio_behind_tunnel(app()))
    assert report.startswith("❌")
    assert "set PUBLIC_URL to" not in report


def test_proxy_headers_given_to_create_app_pass():
    app = create_app(
        {
            "SECRET_KEY": "k" * 32,
            "TWILIO_AUTH_TOKEN": nb04_tunnel.TOKEN,
            "TRUST_PROXY_HEADERS": True,
        }
    )
    assert checks.check_accepts_twilio_behind_tunnel(app)


@pytest.mark.parametrize(
    ("make_app", "call"),
    [(lambda clock: None, "make_day_app(clock)"), (print, "print(clock)")],
    ids=["lambda", "named"],
)
def test_the_day_long_hints_use_the_learners_function_name(make_app, call):
    report = repr(checks.check_day_long_store(make_app))
    assert f"{call} returned a NoneType" in report
    assert "make_app(" not in report
