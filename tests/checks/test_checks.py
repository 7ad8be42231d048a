"""The exercises' self-checks: a right answer passes, a wrong one fails with a hint in words."""

from datetime import timedelta

import pytest
from flask import Flask, make_response, request
from markupsafe import escape

from companion_app import checks, create_app
from companion_app.teaching.verify import send, wait
from tests.support.answers import counter, lines, twiml

REY, NUMBER = "+14155550100", "+14155550199"


def test_verdict_report_reads_as_words():
    verdict = checks.Verdict("Demo")
    verdict.ok("this worked")
    verdict.fail("that did not")
    assert not verdict
    assert lines(verdict) == ["❌ Demo: not yet.", "  ✔ this worked", "  ✘ that did not"]


def name_site(remember=True):
    """Notebook 01's exercise, right (remember=True) or without the cookie."""
    app = Flask("names")

    @app.route("/hello")
    def hello():
        name = request.args.get("name") or request.cookies.get("name")
        response = make_response(f"Hello, {escape(name)}!" if name else "Hello, stranger!")
        if name and remember:
            response.set_cookie("name", name)
        return response

    return app


def test_remembers_name_passes_and_fails_with_hint():
    assert checks.check_remembers_name(name_site())
    verdict = checks.check_remembers_name(name_site(remember=False))
    assert not verdict
    assert "call response.set_cookie('name', name)" in repr(verdict)


def test_a_crashing_app_is_reported_in_words():
    app = Flask("crash")

    @app.route("/hello")
    def hello():
        raise KeyError("name")

    verdict = checks.check_remembers_name(app)
    assert lines(verdict)[-1] == (
        "  ✘ the app raised KeyError: 'name' (read a value that may be missing with .get(...), "
        "which gives None instead)"
    )


@pytest.mark.parametrize(
    ("key", "passes", "hint"),
    [
        ("a" * 10, False, "only 10 characters long"),
        ("ab" * 20, False, "repeats the same few characters"),
        ("0123456789abcdef" * 4, False, "repeats the same few characters or a pattern"),
        ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", True, None),
        (
            12345,
            False,
            "`my_key` should be a string (call secrets.token_hex(32)), not the int 12345",
        ),
    ],
)
def test_secret_key(key, passes, hint):
    verdict = checks.check_secret_key(key)
    assert bool(verdict) is passes
    if hint:
        assert hint in repr(verdict)


def test_shout_webhook():
    right = Flask("shout")

    @right.post("/sms")
    def shout():
        body = request.form.get("Body", "").strip()
        return twiml(body.upper() if body else "Send me some words!")

    assert checks.check_shout_webhook(right)
    wrong = Flask("echo")
    wrong.post("/sms")(lambda: twiml(request.form.get("Body", "")))
    verdict = checks.check_shout_webhook(wrong)
    assert "'hello' got 'hello', not 'HELLO'" in repr(verdict)


def test_reset_command():
    assert checks.check_reset_command(counter(reset=True))
    verdict = checks.check_reset_command(counter())
    assert "'reset' got 'Rey has messaged +14155550199 4 times.'" in repr(verdict)


def test_one_hour_session():
    assert checks.check_one_hour_session(counter(lifetime=timedelta(hours=1)))
    verdict = checks.check_one_hour_session(counter())
    assert "set PERMANENT_SESSION_LIFETIME to one hour" in repr(verdict)


def test_comparison_catches_a_quiet_bug_but_not_a_faithful_copy():
    assert checks.check_comparison_catches(counter(store=False))
    faithful = create_app({"SECRET_KEY": "k"})
    verdict = checks.check_comparison_catches(faithful)
    assert "found no difference besides the forgery" in repr(verdict)


def test_edge_script():
    good = [
        send(REY, NUMBER, "a"),
        send(REY, NUMBER, "b"),
        wait(3 + 59 / 60),
        send(REY, NUMBER, "c"),
    ]
    assert checks.check_edge_script(good)
    assert "it has no wait(...) step" in repr(checks.check_edge_script([send(REY, NUMBER, "a")]))
    lonely = [send(REY, NUMBER, "a"), wait(3.95), send(REY, NUMBER, "b")]
    assert "texts +14155550199 only 1 time(s) before the wait" in repr(
        checks.check_edge_script(lonely)
    )
    assert "should be a list" in repr(checks.check_edge_script("not a script"))
