"""Hostile requests on a public URL: size, HTTP framing, logs, control characters, XML, old cookies."""

import hashlib
import logging
import os
import re
import socket
import subprocess
import sys
import time
import unicodedata
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
import requests
from flask.json.tag import TaggedJSONSerializer
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from companion_app import create_app
from companion_app.app.activity import MAX_SIZE, RecentRequests
from companion_app.serving import production
from companion_app.serving.server import LocalServer
from tests.support.browser import free_port
from tests.support.values import (
    PRIVATE_BODY,
    PRIVATE_WORD,
    PUBLIC_URL,
    SENDER,
    TEST_AUTH_TOKEN,
    TWILIO_NUMBER,
)

LIMIT = 64 * 1024
FORM = "application/x-www-form-urlencoded"

#: XML 1.0, section 2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
XML_CHAR = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")


def signed_form(path, params):
    """Body and headers of a POST the twilio SDK signs for PUBLIC_URL + path."""
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(f"{PUBLIC_URL}{path}", params)
    return urlencode(params).encode(), {"Content-Type": FORM, "X-Twilio-Signature": signature}


def form_of_length(length):
    """Twilio-like parameters whose urlencoded form is exactly `length` bytes."""
    params = {"From": SENDER, "To": TWILIO_NUMBER, "MessageSid": "SM" + "a" * 32, "Body": ""}
    params["Body"] = "x" * (length - len(urlencode(params)))
    assert len(urlencode(params)) == length
    return params


def head(content_type=FORM, **headers):
    """The request line and headers of a POST /sms, ready for a body."""
    lines = ["POST /sms HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(body, size=8192):
    """body in RFC 9112 chunks, with the last-chunk."""
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


TOO_BIG = b"Body=" + b"x" * (LIMIT - 4)  # LIMIT + 1 bytes
CHUNKED = {"Transfer_Encoding": "chunked"}

#: name: (raw request, close the sending side after it, status on werkzeug, status on gunicorn)
RAW_REQUESTS = {
    "content-length-over-64KB": (
        head(Content_Length=LIMIT + 1) + TOO_BIG,
        False,
        413,
        413,
    ),
    "chunked-over-64KB": (head(**CHUNKED) + chunked(TOO_BIG), False, 413, 413),
    "huge-chunk-size": (head(**CHUNKED) + b"FFFFFFFFFFFF\r\nFrom=", True, 413, 400),
    "chunk-size-not-hex": (head(**CHUNKED) + b"zz\r\nFrom=\r\n0\r\n\r\n", False, 400, 400),
    "chunked-body-cut-short": (head(**CHUNKED) + b"10\r\nFrom=", True, 400, 400),
    "chunk-without-crlf": (head(**CHUNKED) + b"5\r\nFrom=XX0\r\n\r\n", False, 400, 400),
    "transfer-encoding-and-content-length": (
        head(Content_Length=5, **CHUNKED) + b"5\r\nFrom=\r\n0\r\n\r\n",
        False,
        400,
        400,
    ),
    "content-length-not-a-number": (head(Content_Length="5x") + b"From=", False, 400, 400),
}


def exchange(port, raw, close_sending=False, timeout=5):
    """Send raw bytes to 127.0.0.1:port; return (status, answer) once its Content-Length arrived."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        if close_sending:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
            headers, _, body = answer.partition(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", headers)
            if length and len(body) >= int(length.group(1)):
                break
    return int(answer.split(b" ", 2)[1]), answer


def message_text(response):
    """The text of the reply's <Message>, parsed by the standard library's XML parser."""
    return ET.fromstring(response.data).find("Message").text or ""  # noqa: S314 (our app's reply)


def process_cpu_seconds(pid=None):
    """User+system CPU seconds of a process (this one by default), from /proc or os.times."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def local(signed_app):
    """The signed counter on a real LocalServer on 127.0.0.1."""
    with LocalServer(signed_app) as served:
        yield served


# --- Size and framing on the development server ------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "close_sending", "status"),
    [(raw, close, status) for raw, close, status, _ in RAW_REQUESTS.values()],
    ids=RAW_REQUESTS.keys(),
)
def test_werkzeug_refuses_big_or_badly_framed_bodies_with_a_4xx(
    local, signed_app, caplog, raw, close_sending, status
):
    got, answer = exchange(local.port, raw, close_sending)
    assert got == status
    assert b"Content-Type: text/plain" in answer
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(signed_app.extensions["recent_requests"]) == 0  # the signature check never ran


def test_a_huge_chunk_size_leaves_the_server_idle_and_answering(local):
    got, _ = exchange(local.port, RAW_REQUESTS["huge-chunk-size"][0], close_sending=True)
    assert got == 413
    before = process_cpu_seconds()
    time.sleep(1)
    assert process_cpu_seconds() - before < 0.3  # werkzeug's own reader spun a core here
    body, headers = signed_form("/sms", {"From": SENDER, "To": TWILIO_NUMBER, "Body": "hi"})
    response = requests.post(f"{local.url}/sms", data=body, headers=headers, timeout=5)
    assert "Hello Rey" in response.text


@pytest.mark.parametrize(
    ("length", "status"), [(LIMIT, 200), (LIMIT + 1, 413)], ids=["64KB", "64KB+1"]
)
def test_a_signed_body_up_to_64KB_is_answered_and_one_byte_more_is_413(local, length, status):
    body, headers = signed_form("/sms", form_of_length(length))
    response = requests.post(f"{local.url}/sms", data=body, headers=headers, timeout=5)
    assert response.status_code == status
    if status == 413:
        assert response.text.startswith("Request body too large: the limit is 65536 bytes")


def test_a_signed_chunked_request_is_answered(local):
    body, headers = signed_form("/sms", {"From": SENDER, "To": TWILIO_NUMBER, "Body": "hi"})
    headers = {name.replace("-", "_"): value for name, value in headers.items()}
    del headers["Content_Type"]
    status, answer = exchange(local.port, head(**CHUNKED, **headers) + chunked(body, size=7))
    assert status == 200
    assert b"Hello Rey" in answer


def test_the_test_client_gets_413_before_the_signature_check(signed_app, caplog):
    body, headers = signed_form("/sms", form_of_length(LIMIT + 1))
    response = signed_app.test_client().post("/sms", data=body, headers=headers)
    assert response.status_code == 413
    assert response.mimetype == "text/plain"
    assert "rejected request" not in caplog.text


# --- The same under gunicorn -------------------------------------------------------------------


@pytest.fixture(scope="module")
def gunicorn():
    """The signed counter under gunicorn (one worker), as `serve --production` runs it."""
    if not production.available():
        pytest.skip(production.UNAVAILABLE)
    env = {"SECRET_KEY": "test-secret-key", "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN}
    with production.Gunicorn(env={**env, "PUBLIC_URL": PUBLIC_URL}, workers=1) as service:
        yield service


@pytest.mark.slow
@pytest.mark.parametrize(
    ("raw", "close_sending", "status"),
    [(raw, close, status) for raw, close, _, status in RAW_REQUESTS.values()],
    ids=RAW_REQUESTS.keys(),
)
def test_gunicorn_refuses_big_or_badly_framed_bodies_with_a_4xx(
    gunicorn, raw, close_sending, status
):
    port = int(gunicorn.url.rsplit(":", 1)[1])
    before = gunicorn.log().count("Traceback")
    got, _ = exchange(port, raw, close_sending)
    assert got == status
    assert gunicorn.log().count("Traceback") == before == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("length", "status"), [(LIMIT, 200), (LIMIT + 1, 413)], ids=["64KB", "64KB+1"]
)
def test_gunicorn_answers_64KB_and_refuses_one_byte_more(gunicorn, length, status):
    body, headers = signed_form("/sms", form_of_length(length))
    response = requests.post(f"{gunicorn.url}/sms", data=body, headers=headers, timeout=5)
    assert response.status_code == status


@pytest.mark.slow
def test_gunicorn_access_log_has_no_query_string(gunicorn):
    params = {"From": SENDER, "To": TWILIO_NUMBER, "Body": PRIVATE_BODY}
    requests.get(f"{gunicorn.url}/sms", params=params, timeout=5)
    assert gunicorn.wait_for('"GET /sms" 403') >= 1
    assert PRIVATE_WORD not in gunicorn.log()


# --- `python -m companion_app serve` (werkzeug via app.run) ------------------------------------


@pytest.fixture
def served_cli(tmp_path):
    """`python -m companion_app serve` on a free port, offline; yields (port, process)."""
    port = free_port()
    env = {**os.environ, "SMS_COOKIES_OFFLINE": "1"}
    with open(tmp_path / "serve.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "companion_app", "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=tmp_path,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    try:
        yield port, process, tmp_path / "serve.log"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for the CPU time")
def test_serve_survives_a_huge_chunk_size_and_logs_no_query(served_cli):
    port, process, log = served_cli
    for name in ("content-length-over-64KB", "chunked-over-64KB", "chunk-size-not-hex"):
        raw, close_sending, status, _ = RAW_REQUESTS[name]
        assert exchange(port, raw, close_sending)[0] == status
    got, _ = exchange(port, RAW_REQUESTS["huge-chunk-size"][0], close_sending=True)
    assert got == 413
    before = process_cpu_seconds(process.pid)
    time.sleep(1)
    assert process_cpu_seconds(process.pid) - before < 0.3
    params = {"From": SENDER, "To": TWILIO_NUMBER, "Body": PRIVATE_BODY}
    response = requests.get(f"http://127.0.0.1:{port}/sms", params=params, timeout=5)
    assert "Hello Rey" in response.text
    time.sleep(0.2)
    text = log.read_text()
    assert '"GET /sms HTTP/1.1" 200' in text
    assert PRIVATE_WORD not in text and "Traceback" not in text


# --- Control characters in logs and the live display -------------------------------------------

FORGED_LINE = "\r\nINFO companion_app.app.incoming: signature valid"
HOSTILE = {
    "ansi-escape": "\x1b[2J\x1b[31m+14155550100",
    "crlf-forged-line": "+14155550100" + FORGED_LINE,
    "c1-control": "+1415\x9b31m",
    "line-separator": "+1415\u2028fake",
    "bidi-override": "+1415\u202e0010",
}


def has_control(text):
    """True when text holds a character Unicode calls a control, or a line/paragraph separator."""
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in "\u202e" for c in text)


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("path", ["/sms", "/directory"])
def test_log_lines_and_the_display_show_control_characters_escaped(app, caplog, hostile, path):
    caplog.set_level(logging.INFO, logger="companion_app")
    app.test_client().post(path, data={"From": hostile, "To": hostile, "Body": "sam"})
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("companion_app")]
    assert messages
    assert not any(has_control(message) for message in messages)
    assert "+1415" in messages[-1]
    table = app.extensions["recent_requests"].table()
    assert len(table.split("\n")) == 2 and not any(map(has_control, table.split("\n")))


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_refusal_log_line_of_an_unsigned_request_is_escaped(signed_app, caplog, hostile):
    signed_app.test_client().post("/sms", data={"From": hostile, "To": TWILIO_NUMBER})
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and not any(has_control(message) for message in warnings)


def test_an_escape_is_visible_not_dropped(app, caplog):
    caplog.set_level(logging.INFO, logger="companion_app")
    app.test_client().post("/sms", data={"From": "+1\x1b[31m", "To": "+2\r\n", "Body": "x"})
    assert "message +1\\x1b[31m -> +2\\r\\n: count 1" in caplog.text


def test_the_log_never_carries_the_body(app, signed_app, caplog):
    caplog.set_level(logging.INFO, logger="companion_app")
    for target in (app, signed_app):
        for path in ("/sms", "/directory"):
            client = target.test_client()
            client.post(path, data={"From": SENDER, "To": TWILIO_NUMBER, "Body": PRIVATE_BODY})
            client.get(path, query_string={"From": SENDER, "To": "+1", "Body": PRIVATE_BODY})
    assert caplog.records and PRIVATE_WORD not in caplog.text


def test_the_recent_requests_list_stays_bounded():
    recent = RecentRequests(size=10**9)
    for n in range(MAX_SIZE + 50):
        recent.record(from_="+1" * 5000, to="+2", count=n, signature="off", status=200)
    assert len(recent) == MAX_SIZE
    assert len(list(recent)[-1].from_) <= 40
    with pytest.raises(ValueError, match="RECENT_REQUESTS"):
        RecentRequests(size=None)


# --- Well-formed TwiML always ------------------------------------------------------------------

NOT_XML = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\ufffe", "\uffff"]


@pytest.mark.parametrize("char", NOT_XML, ids=[f"U+{ord(c):04X}" for c in NOT_XML])
def test_directory_replies_parse_whatever_the_sender_typed(app, char):
    client = app.test_client()
    for body in (f"zz{char}zz", f"sa{char}m", char):
        response = client.post(
            "/directory", data={"From": SENDER, "To": TWILIO_NUMBER, "Body": body}
        )
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        message = message_text(response)
        assert XML_CHAR.fullmatch(text) and XML_CHAR.fullmatch(message)


@pytest.mark.parametrize("char", NOT_XML, ids=[f"U+{ord(c):04X}" for c in NOT_XML])
def test_counter_replies_parse_when_to_holds_a_control_character(app, char):
    client = app.test_client()
    for _ in range(2):  # the second reply echoes To
        response = client.post("/sms", data={"From": SENDER, "To": f"+1{char}99", "Body": "x"})
    assert XML_CHAR.fullmatch(response.get_data(as_text=True))
    assert message_text(response).startswith("Rey has messaged +1")


def test_a_lone_surrogate_in_a_reply_is_replaced(app):
    from companion_app.app.incoming import twiml

    reply = MessagingResponse()
    reply.message("half \ud800 a pair")
    with app.app_context():
        response = twiml(reply)
    assert message_text(response) == "half \ufffd a pair"


@pytest.mark.parametrize("method", ["POST", "GET", "HEAD", "PUT"])
@pytest.mark.parametrize(
    "headers", [{}, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}], ids=["unsigned", "forged"]
)
def test_the_directory_gives_no_staff_data_to_an_unsigned_caller(signed_app, method, headers):
    params = {"From": SENDER, "To": TWILIO_NUMBER, "Body": "Sam Okafor"}
    kwargs = {"data": params} if method in ("POST", "PUT") else {"query_string": params}
    response = signed_app.test_client().open("/directory", method=method, headers=headers, **kwargs)
    assert response.status_code in (403, 405)
    assert b"Head of Support" not in response.data and b"okafor@example.com" not in response.data


# --- A session cookie lives no longer than Twilio's 4 hours ------------------------------------


class AgedSigner(TimestampSigner):
    """itsdangerous' timestamp signer, dating its signatures `age` seconds in the past."""

    age = 0

    def get_timestamp(self):
        return int(time.time()) - self.age


def session_cookie(secret_key, data, age):
    """A session cookie as Flask's documented defaults make it, signed `age` seconds ago."""
    signer = type("Signer", (AgedSigner,), {"age": age})
    serializer = URLSafeTimedSerializer(
        secret_key,
        salt="cookie-session",
        serializer=TaggedJSONSerializer(),
        signer=signer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    return serializer.dumps(data)


@pytest.mark.parametrize(
    ("age", "reply"),
    [
        (60, "Rey has messaged +14155550199 8 times."),
        (4 * 3600 - 60, "Rey has messaged +14155550199 8 times."),
        (4 * 3600 + 1, "Hello Rey, thanks for the message!"),
        (30 * 24 * 3600, "Hello Rey, thanks for the message!"),
    ],
    ids=["1-minute", "3h59", "4h-and-1s", "30-days"],
)
def test_a_session_cookie_older_than_4_hours_is_not_honoured(app, age, reply):
    client = app.test_client()
    client.set_cookie("session", session_cookie("test-secret-key", {"counter": 7}, age))
    response = client.post("/sms", data={"From": SENDER, "To": TWILIO_NUMBER, "Body": "x"})
    assert message_text(response) == reply


def test_an_app_with_its_own_key_still_counts():
    other = create_app({"SECRET_KEY": "another-key", "ENV_FILE": None})
    client = other.test_client()
    for _ in range(3):
        response = client.post("/sms", data={"From": SENDER, "To": TWILIO_NUMBER})
    assert b"3 times" in response.data
    other.config["SECRET_KEY"] = "rotated"
    response = client.post("/sms", data={"From": SENDER, "To": TWILIO_NUMBER})
    assert b"thanks for the message" in response.data  # the old key's cookie is not accepted
