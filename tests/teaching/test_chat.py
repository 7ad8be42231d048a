"""The chat command: text the webhook from a terminal through the simulator."""

import io
import logging
import subprocess
import sys
from datetime import timedelta

import pytest
from flask import Flask, Response, request

from companion_app import cli
from companion_app.serving.server import LocalServer
from companion_app.simulator import FakeClock, TwilioSimulator
from companion_app.teaching.chat import chat, open_simulator, parse_duration
from tests.support.values import SENDER, TWILIO_NUMBER

GREETING = "Texting +14155550199 from +14155550100. Commands: /wait 4h (or 30m, 90s), /cookies, /help, /quit."


def run(conversation, typed):
    """Chat with the lines typed; return what was printed."""
    out = io.StringIO()
    assert chat(conversation, io.StringIO(typed), out) == 0
    return out.getvalue()


@pytest.fixture
def conv(app):
    """A conversation with the counter webhook, on a fixed clock."""
    return TwilioSimulator(app, clock=FakeClock()).conversation(SENDER, TWILIO_NUMBER)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("4h", timedelta(hours=4)),
        ("30m", timedelta(minutes=30)),
        ("90s", timedelta(seconds=90)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        (" 2H ", timedelta(hours=2)),
        ("", None),
        ("4", None),
        ("4d", None),
        ("soon", None),
    ],
)
def test_wait_durations(text, expected):
    assert parse_duration(text) == expected


def test_each_line_is_a_message_and_each_reply_is_printed(conv):
    assert run(conv, "hello\n\nhi again\n/wait 4h\nback\n/quit\nnot sent\n") == (
        f"{GREETING}\n"
        "09:00  +14155550199 ← Hello Rey, thanks for the message!\n"
        "09:00  +14155550199 ← Rey has messaged +14155550199 2 times.\n"
        "… 4:00:00 later: it is now 13:00.\n"
        "13:00  +14155550199 ← Hello Rey, thanks for the message!\n"
    )
    assert len(conv.deliveries) == 3


def test_cookies_help_and_bad_commands(conv):
    output = run(conv, "hi\n/cookies\n/wait\n/what\n/help\n")
    lines = output.splitlines()
    assert lines[2:4] == str(conv.cookies).splitlines()
    assert lines[3].endswith("  2025-01-06 09:00  2025-01-06 13:00")
    assert lines[4:] == [
        "Usage: /wait 4h (or 30m, 90s, 1h30m).",
        "Unknown command /what.",
        "Commands: /wait 4h (or 30m, 90s), /cookies, /help, /quit.",
        "Commands: /wait 4h (or 30m, 90s), /cookies, /help, /quit.",
    ]


def test_errors_and_silence_are_printed():
    app = Flask("moody")

    @app.route("/sms", methods=["POST"])
    def moody_reply():
        if request.form["Body"] == "fail":
            return Response("oops", status=500)
        return Response("<Response/>", mimetype="text/xml")

    conv = TwilioSimulator(app, clock=FakeClock()).conversation(SENDER, TWILIO_NUMBER)
    assert run(conv, "quiet\nfail\n").splitlines()[1:] == [
        "09:00  (no reply)",
        "09:00  ✗ error 11200 (HTTP retrieval failure): the webhook answered HTTP 500",
    ]


def test_a_prompt_is_written_before_each_line(conv):
    out = io.StringIO()
    chat(conv, io.StringIO("hi\n"), out, prompt="> ")
    assert out.getvalue().endswith("> 09:00  +14155550199 ← Hello Rey, thanks for the message!\n> ")


def test_open_simulator_signs_like_the_app_expects(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "12345")
    monkeypatch.setenv("PUBLIC_URL", "https://example.ngrok.app/")
    sim = open_simulator(clock=FakeClock())
    assert (sim.webhook_url, sim.auth_token) == ("https://example.ngrok.app/sms", "12345")
    assert sim.conversation(SENDER, TWILIO_NUMBER).send("hi").reply == (
        "Hello Rey, thanks for the message!"
    )


def test_open_simulator_with_a_url_uses_the_running_server(app):
    with LocalServer(app) as server:
        sim = open_simulator(server.url, clock=FakeClock())
        assert sim.webhook_url == server.url + "/sms"
        assert sim.conversation(SENDER, TWILIO_NUMBER).send("hi").reply == (
            "Hello Rey, thanks for the message!"
        )


def test_the_chat_command_reads_stdin(monkeypatch, capsys):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setattr("sys.stdin", io.StringIO("hello\n/quit\n"))
    level = logging.getLogger("companion_app").level
    assert cli.main(["chat", "--from", "+14155550101", "--to", TWILIO_NUMBER]) == 0
    assert logging.getLogger("companion_app").level == level
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Texting +14155550199 from +14155550101.")
    assert out[1].endswith("+14155550199 ← Hello Finn, thanks for the message!")


def test_python_m_companion_app_chat_runs():
    result = subprocess.run(
        [sys.executable, "-m", "companion_app", "chat"],
        input="hi\nhi\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={"SMS_COOKIES_OFFLINE": "1", "PATH": ""},
        check=False,
    )
    assert result.returncode == 0
    assert [line[5:] for line in result.stdout.splitlines()[1:]] == [
        "  +14155550199 ← Hello Rey, thanks for the message!",
        "  +14155550199 ← Rey has messaged +14155550199 2 times.",
    ]
