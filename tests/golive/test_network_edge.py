"""Going live with the real pyngrok and the real twilio SDK; only the network edge is a stand-in.

pyngrok starts tests/support/ngrok_agent.py where it would start ngrok; the twilio SDK reaches
api.twilio.com over HTTPS through a CONNECT proxy to a stand-in held to Twilio's OpenAPI
description (tests/support/network_edge.py). Expected sentences are what a learner reads;
expected formats come from pyngrok's code, ngrok's documentation and Twilio's description.
"""

import json
import logging
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests
from pyngrok import conf, installer
from pyngrok.conf import PyngrokConfig
from pyngrok.exception import PyngrokNgrokError
from twilio.request_validator import RequestValidator

from companion_app import create_app
from companion_app.golive import number_record
from companion_app.golive.live import go_live
from companion_app.golive.number import point_number, restore_all, restore_by_hand
from companion_app.golive.tunnel import explain, open_tunnel
from tests.golive.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    NGROK_TOKEN,
    NUMBER,
    OLD_URL,
)
from tests.support.values import PYNGROK_LOST as LOST

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "04-go-live-with-pyngrok.ipynb"
PUBLIC = "https://example.ngrok.app"


@pytest.fixture
def everything_shown(caplog):
    """Every log record at every level, as a handler that shows them all would print them."""
    caplog.set_level(logging.DEBUG)
    return caplog


def no_secret(text, *secrets):
    for secret in secrets:
        assert secret not in text


def test_a_text_reaches_the_app_through_the_tunnel(live_settings, capsys):
    app = create_app({"SECRET_KEY": "edge", "TWILIO_AUTH_TOKEN": AUTH_TOKEN})
    printed = []
    session = go_live(app, NUMBER, name="edge", say=printed.append)
    try:
        assert session.public_url.startswith("https://"), printed
        assert session.public_url.endswith(".ngrok-free.app/sms"), printed
        assert live_settings.twilio.webhook(NUMBER) == (session.public_url, "POST")
        params = {"From": "+14155550100", "To": NUMBER, "Body": "hi"}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(session.public_url, params)
        answered = requests.post(
            session.public_url, data=params, headers={"X-Twilio-Signature": signature}, timeout=20
        )
        assert answered.status_code == 200, answered.text
        reply = ET.fromstring(answered.text).findtext("Message")  # noqa: S314 (our own app)
        assert reply == "Hello Rey, thanks for the message!"
    finally:
        session.close()
    assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET")
    assert number_record.load(NUMBER) is None
    shown = "\n".join(printed) + capsys.readouterr().err
    no_secret(shown, AUTH_TOKEN, NGROK_TOKEN)


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        (
            (ACCOUNT_SID, "wrong" * 6),
            "Twilio refused the credentials while looking up your numbers (401): check "
            "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
        ),
        (
            ("AC" + "f" * 32, "test" * 8),
            "Twilio did not allow looking up your numbers (403): test credentials cannot manage "
            "numbers; use the live TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.",
        ),
    ],
    ids=["wrong-credentials", "test-credentials"],
)
def test_refused_credentials_name_the_fix(edge, monkeypatch, credentials, expected):
    edge.twilio.test_credentials = ("AC" + "f" * 32, "test" * 8)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", credentials[0])
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", credentials[1])
    pointed = point_number(PUBLIC, NUMBER)
    assert not pointed.ok
    assert pointed.message.startswith(expected), pointed.message
    assert "try again" not in pointed.message
    assert edge.twilio.webhook(NUMBER) == (OLD_URL, "GET")


def test_a_number_not_on_the_account(live_settings):
    pointed = point_number(PUBLIC, "+14155550111")
    assert pointed.message == (
        "+14155550111 is not a number on this Twilio account: check it (E.164, like "
        "+14155550100), or leave it out to use the account's only number."
    )
    assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET")


def test_twilio_down_mid_restore_keeps_the_record_until_restore_number(live_settings):
    pointed = point_number(PUBLIC, NUMBER)
    assert pointed.ok, pointed.message
    live_settings.twilio.fail += [("update", 503), ("fetch", 503)]
    said = pointed.restore()
    assert "restore-number" in said, said
    assert live_settings.twilio.webhook(NUMBER) == (f"{PUBLIC}/sms", "POST")
    lines, done = restore_by_hand()
    assert done, lines
    assert lines == [f"Restored {NUMBER}: its SMS webhook is {OLD_URL} (GET) again."]
    assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET")
    restore_all()


#: A token ngrok refuses for its shape (105), and one it has revoked (107; NGROK_STANDIN_REVOKED).
REFUSED_TOKENS = pytest.mark.parametrize(
    ("token", "code"),
    [("not-a-token", "ERR_NGROK_105"), (NGROK_TOKEN, "ERR_NGROK_107")],
    ids=["malformed", "revoked"],
)


def refused(code):
    """The sentence a learner reads for a refused ngrok token."""
    return (
        f"ngrok refused the auth token ({code}): copy it again from "
        "https://dashboard.ngrok.com/get-started/your-authtoken into NGROK_AUTHTOKEN."
    )


@REFUSED_TOKENS
def test_a_refused_ngrok_token_is_never_shown(
    edge, monkeypatch, everything_shown, capsys, token, code
):
    monkeypatch.setenv("NGROK_STANDIN_REVOKED", NGROK_TOKEN)
    everything_shown.set_level(logging.DEBUG, logger="pyngrok")  # whatever an earlier test set
    opened = open_tunnel(5999, auth_token=token)
    assert not opened.ok
    assert opened.message == refused(code)
    logged = "\n".join(r.getMessage() for r in everything_shown.records)
    assert code in logged  # the agent's lines were logged ...
    no_secret(logged + capsys.readouterr().err, token)  # ... without the token


def config_with(token):
    """The PyngrokConfig open_tunnel makes for a token (the stand-in is on PYNGROK_NGROK_PATH),
    with the config file pyngrok writes before it starts the agent."""
    config = PyngrokConfig(auth_token=token, config_path=conf.get_default().config_path)
    installer.install_default_config(config.config_path)
    return config


@REFUSED_TOKENS
def test_an_error_pyngrok_lost_is_asked_of_the_agent_again(
    edge, monkeypatch, everything_shown, capsys, token, code
):
    monkeypatch.setenv("NGROK_STANDIN_REVOKED", NGROK_TOKEN)
    everything_shown.set_level(logging.DEBUG, logger="pyngrok")  # whatever an earlier test set
    found = explain(PyngrokNgrokError(LOST, []), secret=token, config=config_with(token))
    assert found.message == refused(code)
    logged = "\n".join(r.getMessage() for r in everything_shown.records)
    assert code in logged  # the agent's lines are logged as pyngrok logs them ...
    no_secret(logged + capsys.readouterr().err, token)  # ... without the token


def test_an_agent_that_starts_when_asked_again_is_stopped(edge):
    found = explain(
        PyngrokNgrokError(LOST, []), secret=NGROK_TOKEN, config=config_with(NGROK_TOKEN)
    )
    assert found.message == (
        "The ngrok tunnel could not open (The ngrok process was unable to start): see the ngrok "
        "log, or try again."
    )
    # The agent asked again is not left running: the account's one agent session is free (a
    # second agent would be refused with ERR_NGROK_108).
    opened = open_tunnel(5997, auth_token=NGROK_TOKEN)
    assert opened.ok, opened.message
    opened.close()


@pytest.mark.slow
def test_an_agent_left_running_on_this_computer_is_named(edge):
    """A session killed outright (SIGKILL) leaves its agent running: the next start says so."""
    script = (
        "import sys, time\n"
        "from companion_app.golive.tunnel import open_tunnel\n"
        "opened = open_tunnel(5998, auth_token=sys.argv[1])\n"
        "print(opened.agent_pid if opened.ok else opened.message, flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, NGROK_TOKEN], stdout=subprocess.PIPE, text=True
    )
    try:
        orphan = int(child.stdout.readline())
    finally:
        child.kill()
        child.wait()
    assert number_record.process_alive(orphan)
    second = open_tunnel(5997, auth_token=NGROK_TOKEN)
    assert not second.ok
    assert second.message == (
        f"An ngrok agent that an earlier session started is still running on this computer "
        f"(process {orphan}), and your ngrok account allows one at a time (ERR_NGROK_108): "
        f"stop it (`kill {orphan}`, or end it in the Task Manager), then try again."
    )


def cells(*markers):
    """The source of notebook 04's code cells that contain each marker, in order."""
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    return [next(s for s in sources if marker in s) for marker in markers]


#: Loggers notebook 04's cells set the level of (the kernel's own business, not the test run's).
NOTEBOOK_LOGGERS = ("companion_app", "pyngrok", "pyngrok.process.ngrok")


@pytest.fixture(autouse=True)
def loggers_as_they_were():
    """Put back the levels 04's cells set, so later tests in this process see every log line."""
    levels = {name: logging.getLogger(name).level for name in NOTEBOOK_LOGGERS}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def run_cells(markers, namespace):
    """Run the cells of notebook 04 that start with these lines, in this process."""
    for source in cells(*markers):
        exec(compile(source, "notebook-04", "exec"), namespace)  # noqa: S102 (our notebook)


def test_notebook_04_lists_the_live_tunnel(live_settings, capsys):
    """04's by-hand cells, live: connect, the https URL, get_tunnels(), then the clean-up."""
    namespace = {}
    run_cells(
        [
            "from companion_app.live import go_live",
            "settings = read_environment()\nprint(describe_environment())",
            'auth_token = settings.get("TWILIO_AUTH_TOKEN")',
            "for name in (",
            'local = server.serve(app, name="by-hand")',
            "def ngrok_step():",
            "pyngrok_config = conf.get_default()",
            'ngrok_tunnel = ngrok.connect(port, "http")',
            'public_url = "https://"',
            "ngrok.get_tunnels()",
            "ngrok.kill()",
        ],
        namespace,
    )
    shown = capsys.readouterr()
    port = namespace["port"]
    public = namespace["public_url"]
    assert f"{public} -> http://localhost:{port}\n" in shown.out, shown.out
    assert "Error" not in shown.out
    assert shown.err == ""
    no_secret(shown.out, NGROK_TOKEN, AUTH_TOKEN)


def test_notebook_04_without_a_token_says_so(edge, capsys):
    """04's connect cell with no token at all: the agent's ERR_NGROK_4018, as one sentence."""
    namespace = {}
    run_cells(
        [
            "from companion_app.live import go_live",
            "settings = read_environment()\nprint(describe_environment())",
            "for name in (",
            "def ngrok_step():",
            "pyngrok_config = conf.get_default()",
        ],
        namespace,
    )
    namespace["port"] = 5996
    capsys.readouterr()
    run_cells(['ngrok_tunnel = ngrok.connect(port, "http")'], namespace)
    shown = capsys.readouterr()
    assert shown.out == (
        "PyngrokNgrokError: ngrok needs an auth token (ERR_NGROK_4018): copy yours from\n"
        "https://dashboard.ngrok.com/get-started/your-authtoken into NGROK_AUTHTOKEN (environment\n"
        "or .env).\n"
        "Tunnel: none\n"
    )
    assert shown.err == ""


def start_cli(*args):
    """`python -m companion_app serve --tunnel ...` in a child process, output to a pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", "companion_app", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def read_until(child, marker, lines):
    for line in child.stdout:
        lines.append(line)
        if marker in line:
            return line
    raise AssertionError("".join(lines))


def the_rest(child, timeout=30):
    """What the child prints until it ends (communicate(timeout=) would skip the read-ahead)."""
    import threading

    rest = []
    reader = threading.Thread(target=lambda: rest.append(child.stdout.read()), daemon=True)
    reader.start()
    reader.join(timeout)
    child.wait(timeout)
    return "".join(rest)


@pytest.mark.slow
@pytest.mark.parametrize("ending", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_serve_tunnel_shows_the_steps_and_puts_the_number_back(live_settings, ending):
    import signal

    from tests.support.browser import free_port

    child = start_cli("serve", "--tunnel", "--port", str(free_port()))
    lines = []
    try:
        read_until(child, "4. Text", lines)
        public = next(w for line in lines for w in line.split() if ".ngrok-free.app/sms" in w)
        assert live_settings.twilio.webhook(NUMBER) == (public, "POST")
        params = {"From": "+14155550100", "To": NUMBER, "Body": "hi"}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(public, params)
        answered = requests.post(
            public, data=params, headers={"X-Twilio-Signature": signature}, timeout=20
        )
        assert answered.status_code == 200
        read_until(child, "signature valid  status 200", lines)
        child.send_signal(getattr(signal, ending))
        rest = the_rest(child)
    finally:
        if child.poll() is None:
            child.kill()
    shown = "".join(lines) + rest
    assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET"), shown
    unwrapped = " ".join(shown.split())
    assert f"Restored {NUMBER}: its SMS webhook is {OLD_URL} (GET) again." in unwrapped
    assert "twilio.http_client" not in shown and "pyngrok" not in shown, shown
    assert "Traceback" not in shown
    no_secret(shown, AUTH_TOKEN, NGROK_TOKEN)
