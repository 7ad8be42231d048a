"""`chat --url` takes what `serve` prints, and the chat warns only about what applies to it."""

import io
import re
import socket
import subprocess
import sys

import pytest
from flask import Flask, request
from twilio.twiml.messaging_response import MessagingResponse

from companion_app import cli, create_app
from companion_app.serving.server import LocalServer
from tests.support.values import PUBLIC_URL, TEST_AUTH_TOKEN, TWILIO_NUMBER

COUNTER_REPLIES = [
    "Hello Rey, thanks for the message!",
    f"Rey has messaged {TWILIO_NUMBER} 2 times.",
]
BAD_URL = "is not a web address: give the server's URL as serve prints it"


def echo_path_app():
    """A webhook on any path that answers with the path (and query) it was sent to."""
    app = Flask("echo")

    @app.route("/<path:path>", methods=["POST"])
    def echo_path(path):
        reply = MessagingResponse()
        query = request.query_string.decode()
        reply.message(f"path=/{path}" + (f"?{query}" if query else ""))
        return str(reply), {"Content-Type": "text/xml"}

    return app


def chat_replies(monkeypatch, capsys, url, typed="hi\nhi\n"):
    """Run `chat --url url` with the lines typed; return (exit code, replies printed, stderr)."""
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    code = cli.main(["chat", "--url", url])
    captured = capsys.readouterr()
    # "09:00  +14155550199 ← reply" or "09:00  ✗ error ...": the text after the time and the number
    replies = [
        re.sub(r"^\d\d:\d\d  (\+\d+ ← )?", "", line) for line in captured.out.splitlines()[1:]
    ]
    return code, replies, captured.err


@pytest.mark.parametrize(
    "suffix, seen",
    [
        ("", "/sms"),
        ("/", "/sms"),
        ("/sms", "/sms"),  # as `serve` prints it
        ("/sms/", "/sms"),
        ("/directory", "/directory"),
        ("/hooks/sms?lang=fr", "/hooks/sms?lang=fr"),
    ],
)
def test_url_is_a_base_url_or_the_webhook_url(monkeypatch, capsys, suffix, seen):
    with LocalServer(echo_path_app()) as server:
        code, replies, _ = chat_replies(monkeypatch, capsys, server.url + suffix, "hi\n")
    assert code == 0
    assert replies == [f"path={seen}"]


def test_the_url_serve_prints_reaches_the_counter(monkeypatch, capsys):
    served = {}
    monkeypatch.setattr(
        "flask.Flask.run", lambda app, host, port, **options: served.update(port=port)
    )
    cli.main(["serve", "--port", "5055"])
    printed = capsys.readouterr().out
    url = printed.split("Serving the counter webhook on ", 1)[1].split(" ", 1)[0]
    assert url == "http://127.0.0.1:5055/sms"
    with LocalServer(create_app({"SECRET_KEY": "k"})) as server:
        code, replies, _ = chat_replies(monkeypatch, capsys, url.replace("5055", str(server.port)))
    assert (code, replies) == (0, COUNTER_REPLIES)


def test_a_host_and_port_alone_is_taken_as_http(monkeypatch, capsys):
    with LocalServer(create_app({"SECRET_KEY": "k"})) as server:
        code, replies, _ = chat_replies(monkeypatch, capsys, f"127.0.0.1:{server.port}/sms")
    assert (code, replies) == (0, COUNTER_REPLIES)


def test_signed_for_public_url_plus_the_webhook_path(monkeypatch, capsys):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TEST_AUTH_TOKEN)
    monkeypatch.setenv("PUBLIC_URL", PUBLIC_URL)
    app = create_app({"SECRET_KEY": "k"})  # checks signatures against PUBLIC_URL + path
    with LocalServer(app) as server:
        code, replies, _ = chat_replies(monkeypatch, capsys, server.url + "/sms")
    assert (code, replies) == (0, COUNTER_REPLIES)


def test_a_dead_port_names_the_webhook_url_once(monkeypatch, capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, replies, _ = chat_replies(monkeypatch, capsys, f"http://127.0.0.1:{port}/sms", "hi\n")
    assert code == 0
    assert replies == [
        "✗ error 11205 (HTTP connection failure): could not connect to "
        f"http://127.0.0.1:{port}/sms: is the server running?"
    ]


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1:5000/sms", "http://", "http://127.0.0.1:port/sms", "http://a b/sms", "://"],
)
def test_a_url_that_is_not_a_web_address_is_refused_in_one_line(monkeypatch, capsys, url):
    code, replies, err = chat_replies(monkeypatch, capsys, url)
    assert code == 2
    assert replies == []
    assert (
        err
        == f"error: --url {url!r} {BAD_URL}, like http://127.0.0.1:5000/sms (or just http://127.0.0.1:5000).\n"
    )


def run_chat_process(*args):
    """`python -m companion_app chat ...` on a fresh machine (no settings), two messages typed."""
    return subprocess.run(
        [sys.executable, "-m", "companion_app", "chat", *args],
        input="hi\nhi\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={"SMS_COOKIES_OFFLINE": "1", "PATH": ""},
        check=False,
    )


def test_the_in_process_chat_has_no_url_and_no_server_warnings():
    result = run_chat_process()
    assert result.returncode == 0
    assert [line[7:] for line in result.stdout.splitlines()[1:]] == [
        f"{TWILIO_NUMBER} ← {reply}" for reply in COUNTER_REPLIES
    ]
    assert result.stderr == ""


def test_serve_still_warns_that_anyone_can_post(monkeypatch, caplog):
    monkeypatch.setattr("flask.Flask.run", lambda app, host, port, **options: None)
    cli.main(["serve"])
    assert "Anyone who finds this URL can post to it." in caplog.text
