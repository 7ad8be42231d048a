"""go_live and `serve --tunnel`: fakes for pyngrok and twilio, and real HTTP through a stand-in proxy."""

import http.client
import io
import re
import socket
import xml.etree.ElementTree as ET
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests
from twilio.request_validator import RequestValidator

from companion_app import cli, create_app
from companion_app.golive import live
from companion_app.golive.live import go_live
from companion_app.golive.number import restore_all
from companion_app.serving.server import LocalServer
from tests.support.fakes import ACCOUNT_SID, OLD_URL, FakeNgrok, FakeTwilio, resolves
from tests.support.fakes import TOKEN as NGROK_TOKEN
from tests.support.values import PUBLIC_URL, SENDER, TEST_AUTH_TOKEN, TWILIO_NUMBER

TWILIO_TOKEN = "twilio-SECRET-auth-token-value"
PN_SID = "PN" + "1" * 32


@pytest.fixture(autouse=True)
def no_leftover_sessions(monkeypatch):
    """No reloader flag or ngrok path from the machine; every session closed after each test."""
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    monkeypatch.delenv("PYNGROK_NGROK_PATH", raising=False)
    yield
    live.stop_all()


@pytest.fixture
def fake_ngrok(monkeypatch):
    """pyngrok's ngrok module replaced; the tunnel's public URL is PUBLIC_URL."""
    fake = FakeNgrok(public_url=PUBLIC_URL)
    monkeypatch.setattr("companion_app.golive.tunnel.ngrok", fake)
    monkeypatch.setattr("companion_app.golive.tunnel._open_tunnels", set())
    return fake


@pytest.fixture
def twilio(monkeypatch):
    """The twilio Client replaced by a fake account holding TWILIO_NUMBER."""
    account = FakeTwilio()
    account.numbers[0].phone_number = TWILIO_NUMBER
    monkeypatch.setattr("companion_app.golive.twilio_api.Client", account.client)
    yield account
    restore_all()  # what a test left pointed is put back now, not at exit


@pytest.fixture
def everything_set(monkeypatch):
    """An ngrok token and Twilio credentials in the environment."""
    monkeypatch.setenv("NGROK_AUTHTOKEN", NGROK_TOKEN)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)


@pytest.fixture
def signed_app():
    """The counter app with signature checks on and no PUBLIC_URL yet (go_live sets it)."""
    return create_app(
        {"TESTING": True, "SECRET_KEY": "test-secret-key", "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN}
    )


def port_is_free(port):
    """True when nothing listens on 127.0.0.1:port any more."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def unwrap(text):
    """Printed text with each wrapped sentence joined again (its later lines are indented)."""
    assert all(len(line) <= 79 or " " not in line.strip() for line in text.splitlines())
    return text.replace("\n   ", " ")


def lines(capsys, port):
    """What was printed, sentences unwrapped, with the server's port replaced by PORT."""
    return unwrap(capsys.readouterr().out).replace(str(port), "PORT").splitlines()


def test_go_live_with_tunnel_and_number(signed_app, fake_ngrok, twilio, everything_set, capsys):
    session = go_live(signed_app, TWILIO_NUMBER)
    port = session.server.port
    assert lines(capsys, port) == [
        "1. Serving the webhook at http://127.0.0.1:PORT/sms",
        f"2. Opened an ngrok tunnel: {PUBLIC_URL}/sms -> http://127.0.0.1:PORT/sms. Twilio's "
        f"signatures are checked against {PUBLIC_URL}/sms.",
        f"3. Pointed {TWILIO_NUMBER} at {PUBLIC_URL}/sms (POST); it was {OLD_URL} (GET), put back "
        "on close.",
        f"4. Text {TWILIO_NUMBER} from your phone; .recent() shows what arrived, .close() stops "
        "it all.",
    ]
    assert fake_ngrok.calls[0][1:3] == (str(port), "http")
    assert signed_app.config["PUBLIC_URL"] == PUBLIC_URL
    assert session.public_url == f"{PUBLIC_URL}/sms"
    assert session.local_url == f"http://127.0.0.1:{port}/sms"
    assert twilio.calls[1] == (
        "update",
        PN_SID,
        {"sms_url": f"{PUBLIC_URL}/sms", "sms_method": "POST"},
    )

    session.close()
    session.close()
    assert (
        unwrap(capsys.readouterr().out)
        == f"Restored {TWILIO_NUMBER}: its SMS webhook is {OLD_URL} (GET) again.\n"
    )
    assert twilio.calls[2:] == [("update", PN_SID, {"sms_url": OLD_URL, "sms_method": "GET"})]
    assert fake_ngrok.names() == ["connect", "disconnect", "kill"]
    assert port_is_free(port)
    assert signed_app.config["PUBLIC_URL"] is None
    assert session.closed


def test_no_token_and_no_credentials(signed_app, fake_ngrok, twilio, capsys):
    with go_live(signed_app) as session:
        port = session.server.port
        assert session.public_url is None
        assert lines(capsys, port) == [
            "1. Serving the webhook at http://127.0.0.1:PORT/sms",
            "2. No ngrok auth token: copy yours from "
            "https://dashboard.ngrok.com/get-started/your-authtoken into NGROK_AUTHTOKEN "
            "(environment or .env), or pass ask=True to type it. Carrying on locally at "
            "http://127.0.0.1:PORT/sms",
            "3. No Twilio credentials (set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to go live): "
            "with them this step would point your Twilio number at the tunnel's public URL + /sms "
            "(POST) and put its old webhook back on close.",
            "4. Send messages to http://127.0.0.1:PORT/sms; .recent() shows what arrived, .close() "
            "stops it all.",
        ]
        assert (
            requests.post(
                session.local_url, data={"From": SENDER, "To": TWILIO_NUMBER}, timeout=5
            ).status_code
            == 403
        )  # signed app, unsigned request
        assert session.recent().splitlines()[-1].split()[1:] == [
            SENDER,
            TWILIO_NUMBER,
            "-",
            "missing",
            "403",
        ]
    assert capsys.readouterr().out == ""
    assert fake_ngrok.calls == [] and twilio.clients == []
    assert port_is_free(port)


def test_download_failure_with_credentials_leaves_the_number_alone(
    signed_app, fake_ngrok, twilio, everything_set, capsys
):
    app = signed_app
    from pyngrok.exception import PyngrokNgrokInstallError

    fake_ngrok.error = PyngrokNgrokInstallError(
        "<urlopen error [Errno -2] Name or service not known>"
    )
    with go_live(app, TWILIO_NUMBER) as session:
        out = lines(capsys, session.server.port)
    assert out[1] == (
        "2. The ngrok program could not be downloaded (no internet?): connect to the internet, or "
        "install ngrok yourself and set PYNGROK_NGROK_PATH to it. Carrying on locally at "
        "http://127.0.0.1:PORT/sms"
    )
    assert out[2] == (
        f"3. Not changing {TWILIO_NUMBER}: without a tunnel Twilio cannot reach this computer, so "
        "its webhook stays as it is."
    )
    assert twilio.calls == []
    assert app.config["PUBLIC_URL"] is None


def test_tunnel_off(app, fake_ngrok, everything_set, twilio, capsys):
    with go_live(app, tunnel=False) as session:
        assert lines(capsys, session.server.port)[1] == (
            "2. No tunnel (tunnel=False). Carrying on locally at http://127.0.0.1:PORT/sms"
        )
    assert fake_ngrok.calls == []


def test_secrets_are_never_printed(signed_app, fake_ngrok, twilio, everything_set, capsys):
    with go_live(signed_app) as session:
        session.recent()
        repr(session)
    out, err = capsys.readouterr()
    for secret in (NGROK_TOKEN, TWILIO_TOKEN, TEST_AUTH_TOKEN, "test-secret-key"):
        assert secret not in out + err


def test_running_it_again_closes_the_first_session(signed_app, fake_ngrok, twilio, everything_set):
    first = go_live(signed_app, TWILIO_NUMBER)
    second = go_live(signed_app, TWILIO_NUMBER)
    assert first.closed and not second.closed
    assert port_is_free(first.server.port)
    assert not port_is_free(second.server.port)
    assert [c[2]["sms_url"] for c in twilio.calls if c[0] == "update"] == [
        f"{PUBLIC_URL}/sms",
        OLD_URL,  # the first session put the number back before the second pointed it again
        f"{PUBLIC_URL}/sms",
    ]
    second.close()
    assert port_is_free(second.server.port)


def test_names_keep_sessions_apart(app, fake_ngrok):
    one = go_live(app, name="one", say=lambda line: None)
    two = go_live(app, name="two", say=lambda line: None)
    assert not one.closed and not two.closed
    live.stop_all()
    assert one.closed and two.closed
    assert port_is_free(one.server.port) and port_is_free(two.server.port)


def test_failure_while_pointing_stops_what_was_started(
    signed_app, fake_ngrok, everything_set, monkeypatch, capsys
):
    app = signed_app

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("companion_app.golive.number.point_number", interrupted)
    with pytest.raises(KeyboardInterrupt):
        go_live(app)
    port = int(re.search(r"127\.0\.0\.1:(\d+)", capsys.readouterr().out).group(1))
    assert port_is_free(port)
    assert fake_ngrok.names() == ["connect", "disconnect", "kill"]
    assert app.config["PUBLIC_URL"] is None


def test_close_stops_everything_even_if_restoring_fails(
    signed_app, fake_ngrok, twilio, everything_set
):
    session = go_live(signed_app, say=lambda line: None)

    def interrupted():
        raise KeyboardInterrupt

    session.number.restore = interrupted
    with pytest.raises(KeyboardInterrupt):
        session.close()
    assert port_is_free(session.server.port)
    assert fake_ngrok.names()[-1] == "kill"
    del session.number.restore  # the process's last chance (atexit) still puts the number back
    live.stop_all(say=lambda line: None)
    assert twilio.numbers[0].sms_url == OLD_URL


def test_watch_prints_each_request_once(app, fake_ngrok, monkeypatch):
    printed = []
    session = go_live(app, say=printed.append)
    printed.clear()
    requests.post(session.local_url, data={"From": SENDER, "To": TWILIO_NUMBER}, timeout=5)
    requests.post(session.local_url, data={"From": SENDER}, timeout=5)

    rounds = iter([False, False, True])
    stop = SimpleNamespace(wait=lambda interval: next(rounds))
    session.watch(stop=stop)
    assert len(printed) == 2
    assert printed[0].endswith(f"{SENDER} -> {TWILIO_NUMBER}  count 1  signature off  status 200")
    assert printed[1].endswith(f"{SENDER} ->   count -  signature off  status 400")


# --- end to end: real HTTP on loopback through a stand-in for ngrok --------------------------------

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "date", "server"}


def forwarding_proxy(backend_url, public_url=PUBLIC_URL):
    """A tiny WSGI reverse proxy: forwards to backend_url and adds the X-Forwarded headers ngrok adds."""
    backend = urlsplit(backend_url)
    public = urlsplit(public_url)

    def proxy(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_") and key != "HTTP_HOST"
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers["X-Forwarded-Proto"] = public.scheme
        headers["X-Forwarded-Host"] = public.netloc
        query = environ.get("QUERY_STRING")
        path = environ.get("PATH_INFO", "/") + (f"?{query}" if query else "")
        connection = http.client.HTTPConnection(backend.hostname, backend.port, timeout=5)
        try:
            connection.request(environ["REQUEST_METHOD"], path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
        finally:
            connection.close()
        start_response(f"{response.status} {response.reason}", kept)
        return [data]

    return proxy


class Phone:
    """One From/To pair talking to the proxy as Twilio would: its own cookie jar, signed requests."""

    def __init__(self, proxy_url, from_, to, token=TEST_AUTH_TOKEN, public_url=PUBLIC_URL):
        self.url = f"{proxy_url}/sms"
        self.signed_url = f"{public_url}/sms"
        self.from_, self.to = from_, to
        self.validator = RequestValidator(token)
        self.jar = requests.Session()

    def send(self, body, signature=None):
        """POST one message; return (status, reply text or the plain-text error)."""
        params = {"From": self.from_, "To": self.to, "Body": body, "MessageSid": "SM" + "0" * 32}
        signature = signature or self.validator.compute_signature(self.signed_url, params)
        response = self.jar.post(
            self.url, data=params, headers={"X-Twilio-Signature": signature}, timeout=5
        )
        if response.headers["Content-Type"].startswith("application/xml"):
            return response.status_code, ET.fromstring(response.text).findtext("Message")  # noqa: S314 (our own app's reply)
        return response.status_code, response.text.strip()


@pytest.fixture(params=["proxy-headers", "go-live"])
def public_webhook(request, fake_ngrok, monkeypatch):
    """The app behind the stand-in proxy: trusting X-Forwarded-*, or told PUBLIC_URL by go_live."""
    config = {"SECRET_KEY": "test-secret-key", "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN}
    if request.param == "proxy-headers":
        app = create_app({**config, "TRUST_PROXY_HEADERS": True})
        backend = LocalServer(app)
        stop_backend = backend.stop
    else:
        app = create_app(config)
        monkeypatch.setenv("NGROK_AUTHTOKEN", NGROK_TOKEN)
        session = go_live(app, say=lambda line: None)
        assert app.config["PUBLIC_URL"] == PUBLIC_URL
        backend = session.server
        stop_backend = session.close
    proxy = LocalServer(forwarding_proxy(backend.url))
    yield SimpleNamespace(app=app, proxy_url=proxy.url)
    proxy.stop()
    stop_backend()


def test_signed_requests_through_the_proxy_are_counted_per_pair(public_webhook):
    rey = Phone(public_webhook.proxy_url, "+14155550100", TWILIO_NUMBER)
    finn = Phone(public_webhook.proxy_url, "+14155550101", TWILIO_NUMBER)
    assert rey.send("hi") == (200, "Hello Rey, thanks for the message!")
    assert rey.send("again") == (200, f"Rey has messaged {TWILIO_NUMBER} 2 times.")
    assert finn.send("hello") == (200, "Hello Finn, thanks for the message!")
    assert rey.send("third") == (200, f"Rey has messaged {TWILIO_NUMBER} 3 times.")
    table = public_webhook.app.extensions["recent_requests"].table()
    assert table.count("valid      200") == 4


def test_the_simulator_through_the_proxy(public_webhook):
    """The project's Twilio simulator, told the public URL, sends real HTTP through the proxy."""
    from companion_app.simulator import FakeClock, TwilioSimulator

    simulator = TwilioSimulator(
        public_webhook.proxy_url,
        webhook_url=f"{PUBLIC_URL}/sms",
        auth_token=TEST_AUTH_TOKEN,
        clock=FakeClock(),
        seed=0,
        timeout=5,
        connect_timeout=5,
    )
    rey = simulator.conversation(from_="+14155550100", to=TWILIO_NUMBER)
    chewy = simulator.conversation(from_="+14155550102", to=TWILIO_NUMBER)
    replies = [rey.send("hi"), chewy.send("yo"), rey.send("again"), rey.send("and again")]
    assert [(d.status, d.error, d.replies[0].body) for d in replies] == [
        ("replied", None, "Hello Rey, thanks for the message!"),
        ("replied", None, "Hello Chewy, thanks for the message!"),
        ("replied", None, f"Rey has messaged {TWILIO_NUMBER} 2 times."),
        ("replied", None, f"Rey has messaged {TWILIO_NUMBER} 3 times."),
    ]
    forged = TwilioSimulator(
        public_webhook.proxy_url, webhook_url=f"{PUBLIC_URL}/sms", auth_token="not-the-token"
    ).conversation(from_="+14155550100", to=TWILIO_NUMBER)
    delivery = forged.send("hi")
    assert (delivery.status, delivery.http_status) == ("failed", 403)


def test_a_forged_signature_through_the_proxy_gets_403(public_webhook):
    rey = Phone(public_webhook.proxy_url, "+14155550100", TWILIO_NUMBER)
    status, text = rey.send("hi", signature="bm90IGEgcmVhbCBzaWduYXR1cmU=")
    assert status == 403
    assert text.startswith(f"Invalid X-Twilio-Signature for {PUBLIC_URL}/sms")
    assert "invalid    403" in public_webhook.app.extensions["recent_requests"].table()


def test_a_signature_for_the_local_url_is_rejected(public_webhook):
    """What goes wrong without PUBLIC_URL or trusted proxy headers: Twilio signs the public URL."""
    local = Phone(public_webhook.proxy_url, SENDER, TWILIO_NUMBER, public_url="http://127.0.0.1")
    assert local.send("hi")[0] == 403


# --- the command line -------------------------------------------------------------------------------


def test_serve_parses_tunnel_and_number():
    args = cli.build_parser().parse_args(["serve", "--tunnel", "--number", TWILIO_NUMBER])
    assert (args.tunnel, args.number) == (True, TWILIO_NUMBER)
    args = cli.build_parser().parse_args(["serve"])
    assert (args.tunnel, args.number) == (False, None)


def test_serve_tunnel_until_ctrl_c_restores_the_number(
    fake_ngrok, twilio, everything_set, monkeypatch, capsys
):
    monkeypatch.setenv("SECRET_KEY", "test-secret-key")
    seen = {}

    def interrupted_watch(session, interval=0.5, stop=None):
        seen["session"] = session
        raise KeyboardInterrupt

    monkeypatch.setattr("companion_app.golive.live.LiveSession.watch", interrupted_watch)
    assert cli.main(["serve", "--tunnel", "--number", TWILIO_NUMBER, "--port", "0"]) == 130
    session = seen["session"]
    assert session.closed
    assert port_is_free(session.server.port)
    assert [c[2]["sms_url"] for c in twilio.calls if c[0] == "update"] == [
        f"{PUBLIC_URL}/sms",
        OLD_URL,
    ]
    assert fake_ngrok.names() == ["connect", "disconnect", "kill"]
    out = unwrap(capsys.readouterr().out)
    assert f"Restored {TWILIO_NUMBER}" in out
    assert "Ctrl-C stops it all (and restores the number)." in out
    for secret in (NGROK_TOKEN, TWILIO_TOKEN, "test-secret-key"):
        assert secret not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--number", TWILIO_NUMBER], "error: --number needs --tunnel"),
        (["serve", "--tunnel", "--production"], "error: --tunnel and --production"),
    ],
)
def test_serve_refuses_options_that_do_not_go_together(argv, message, capsys):
    assert cli.main(argv) == 2
    assert capsys.readouterr().err.startswith(message)


# --- the real thing, offline ------------------------------------------------------------------------


def test_real_go_live_offline_prints_the_fallback(signed_app, monkeypatch, tmp_path, capsys):
    """This machine has no internet: pyngrok cannot download ngrok and the app carries on locally."""
    if resolves("bin.ngrok.com"):
        pytest.skip("this machine is online: the real offline failure cannot happen here")
    monkeypatch.setenv("NGROK_AUTHTOKEN", NGROK_TOKEN)
    monkeypatch.setenv("PYNGROK_NGROK_PATH", str(tmp_path / "ngrok" / "ngrok"))
    with go_live(signed_app, timeout=10) as session:
        out = lines(capsys, session.server.port)
        assert session.public_url is None
    assert out == [
        "1. Serving the webhook at http://127.0.0.1:PORT/sms",
        "2. The ngrok program could not be downloaded (no internet?): connect to the internet, or "
        "install ngrok yourself and set PYNGROK_NGROK_PATH to it. Carrying on locally at "
        "http://127.0.0.1:PORT/sms",
        "3. No Twilio credentials (set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to go live): with "
        "them this step would point your Twilio number at the tunnel's public URL + /sms (POST) "
        "and put its old webhook back on close.",
        "4. Send messages to http://127.0.0.1:PORT/sms; .recent() shows what arrived, .close() "
        "stops it all.",
    ]
    assert NGROK_TOKEN not in "\n".join(out)


def test_ask_for_the_ngrok_token_in_a_notebook(signed_app, fake_ngrok, monkeypatch, capsys):
    monkeypatch.setattr("getpass.getpass", lambda prompt: NGROK_TOKEN)  # as a Jupyter kernel does
    with go_live(signed_app, ask=True) as session:
        assert session.public_url == f"{PUBLIC_URL}/sms"
    assert fake_ngrok.calls[0][3].auth_token == NGROK_TOKEN
    assert NGROK_TOKEN not in capsys.readouterr().out


# --- doors that stay shut, and the command line's own way to ask -----------------------------------


def test_an_unsigned_app_gets_no_tunnel(app, fake_ngrok, twilio, everything_set, capsys):
    with go_live(app, TWILIO_NUMBER) as session:
        out = lines(capsys, session.server.port)
        assert session.public_url is None
    assert out[1] == (
        "2. Not opening a tunnel: this app does not check Twilio's signatures (TWILIO_AUTH_TOKEN "
        "is not set), so anyone who found its public URL could post to it. Set "
        "TWILIO_AUTH_TOKEN, or pass allow_unsigned=True for a short demo. Carrying on locally "
        "at http://127.0.0.1:PORT/sms"
    )
    assert fake_ngrok.calls == [] and twilio.calls == []


def test_allow_unsigned_opens_the_tunnel_with_a_warning(app, fake_ngrok, everything_set, capsys):
    with go_live(app, tunnel=True, allow_unsigned=True) as session:
        out = lines(capsys, session.server.port)
    assert out[1] == (
        f"2. Opened an ngrok tunnel: {PUBLIC_URL}/sms -> http://127.0.0.1:PORT/sms. WARNING: "
        "signatures are NOT checked (TWILIO_AUTH_TOKEN is not set): anyone who finds "
        f"{PUBLIC_URL}/sms can post to it."
    )


class Terminal(io.StringIO):
    """A stdin that is a terminal."""

    def isatty(self):
        return True


@pytest.mark.parametrize(
    ("stdin", "expected"),
    [
        (Terminal(), f"2. Opened an ngrok tunnel: {PUBLIC_URL}/sms"),
        (
            io.StringIO(),
            "2. No ngrok auth token: copy yours from "
            "https://dashboard.ngrok.com/get-started/your-authtoken into NGROK_AUTHTOKEN "
            "(environment or .env), or run this command in a terminal, where it asks to type it.",
        ),
    ],
    ids=["terminal", "no-terminal"],
)
def test_serve_tunnel_asks_for_the_token_in_a_terminal(
    fake_ngrok, twilio, monkeypatch, capsys, stdin, expected
):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setattr("sys.stdin", stdin)
    monkeypatch.setattr("getpass.getpass", lambda prompt: NGROK_TOKEN)
    monkeypatch.setattr(
        "companion_app.golive.live.LiveSession.watch", lambda session, **kw: session.close()
    )
    assert cli.main(["serve", "--tunnel", "--port", "0"]) == 0
    out = unwrap(capsys.readouterr().out)
    assert expected in out
    assert "ask=True" not in out
    assert NGROK_TOKEN not in out
