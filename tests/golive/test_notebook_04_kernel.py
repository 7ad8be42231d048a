"""Notebook 04 run in a real Jupyter kernel with live settings, the network edge a stand-in.

The kernel is started as Jupyter starts one (jupyter_client, ipykernel) in the notebooks folder,
with the learner's live settings in its environment and without the offline switch: the real
pyngrok starts the ngrok agent stand-in and the real twilio SDK reaches Twilio's stand-in over
HTTPS through the proxy (tests/golive/conftest.py). Every cell's outputs are collected as
nbformat saves them in the .ipynb (stdout, stderr, results, errors) and checked: no traceback, no
secret, and the number's webhook as Twilio's stand-in holds it afterwards.
"""

import json
import os
import queue
import time
from pathlib import Path

import nbformat
import pytest
import requests
from twilio.request_validator import RequestValidator

from companion_app.golive import number_record
from companion_app.settings import ENV_FILE_VARIABLE, OFFLINE_SWITCH
from tests.golive.conftest import ACCOUNT_SID, AUTH_TOKEN, NGROK_TOKEN, NUMBER, OLD_URL
from tests.golive.test_killed_outright import run_cli

pytestmark = pytest.mark.slow

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "04-go-live-with-pyngrok.ipynb"
WATCH = "live.watch()"
GO_LIVE = "live = go_live(app, ask=going_live)"
CLEAN_UP = "live.close()"


def code_cells():
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]


def index(cells, marker):
    """The position of the first code cell that contains marker."""
    return next(i for i, source in enumerate(cells) if marker in source)


class Kernel:
    """A Python kernel started as Jupyter starts one; run() returns a cell's outputs as saved."""

    def __init__(self, env):
        from jupyter_client.manager import KernelManager

        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(env=env, cwd=str(NOTEBOOK.parent))
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, source, timeout=120, started=None, interrupt_when=None):
        """Execute one cell; `started()` runs once it is sent, `interrupt_when(outputs)` ■ it."""
        msg_id = self.client.execute(source, allow_stdin=False)
        if started:
            started()
        outputs, interrupted = [], False
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"cell still running after {timeout}s: {outputs}") from None
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                return outputs
            if kind in ("stream", "error", "execute_result", "display_data"):
                outputs.append(nbformat.v4.output_from_msg(msg))
                if interrupt_when and not interrupted and interrupt_when(outputs):
                    self.manager.interrupt_kernel()
                    interrupted = True

    def shut_down(self):
        """What closing the notebook's kernel does: a shutdown request, no clean-up cell."""
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=False)


def text_of(outputs):
    """Everything a cell's outputs hold, as the .ipynb would save it."""
    return json.dumps(outputs)


def stream(outputs, name="stdout"):
    return "".join(o["text"] for o in outputs if o["output_type"] == "stream" and o["name"] == name)


def assert_clean(outputs, *secrets):
    saved = text_of(outputs)
    assert not [o for o in outputs if o["output_type"] == "error"], saved
    assert "Traceback" not in saved, saved
    for secret in secrets:
        assert secret not in saved


@pytest.fixture
def kernel_env(live_settings):
    """The learner's live settings, as a kernel started from this environment inherits them."""
    env = dict(os.environ)
    env.pop(OFFLINE_SWITCH, None)
    env[ENV_FILE_VARIABLE] = ""  # no .env file: the settings are the environment's
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


@pytest.fixture
def kernel(kernel_env):
    started = []

    def start(**extra):
        started.append(Kernel({**kernel_env, **extra}))
        return started[-1]

    yield start
    for one in started:
        if one.manager.is_alive():
            one.shut_down()


def send_a_text(public_url):
    params = {"From": "+14155550100", "To": NUMBER, "Body": "hi from my phone"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(public_url, params)
    answered = requests.post(
        public_url, data=params, headers={"X-Twilio-Signature": signature}, timeout=20
    )
    assert answered.status_code == 200, answered.text


def run_until_live(kernel, everything):
    """Run the cells up to go_live's; return its public URL (the number now points at it)."""
    cells = code_cells()
    for source in cells[: index(cells, GO_LIVE) + 1]:
        everything.append((source, kernel.run(source)))
    shown = " ".join(stream(everything[-1][1]).split())
    assert "2. Opened an ngrok tunnel: https://" in shown, shown
    public = next(w for w in shown.split() if w.endswith(".ngrok-free.app/sms"))
    assert f"3. Pointed {NUMBER} at {public} (POST); it was {OLD_URL} (GET)" in shown, shown
    return public


def test_top_to_bottom_with_the_watch_interrupted_and_the_clean_up(live_settings, kernel):
    running = kernel()
    everything = []
    public = run_until_live(running, everything)
    assert live_settings.twilio.webhook(NUMBER) == (public, "POST")
    cells = code_cells()
    for source in cells[index(cells, GO_LIVE) + 1 :]:
        if WATCH in source:  # ■ once the text from "my phone" is shown
            outputs = running.run(
                source,
                started=lambda: send_a_text(public),
                interrupt_when=lambda outs: "status 200" in stream(outs),
                timeout=60,
            )
            assert "+14155550100 -> " + NUMBER + "  count 1  signature valid  status 200" in (
                stream(outputs)
            ), outputs
        else:
            outputs = running.run(source)
        everything.append((source, outputs))
        if CLEAN_UP in source:
            said = " ".join(stream(outputs).split())
            assert f"Restored {NUMBER}: its SMS webhook is {OLD_URL} (GET) again." in said
            assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET")
    for source, outputs in everything:
        assert_clean(outputs, AUTH_TOKEN, NGROK_TOKEN)
        assert stream(outputs, "stderr") == "", (source, outputs)
    by_hand = dict(everything)
    listed = stream(by_hand[next(s for s in cells if "ngrok.get_tunnels()" in s)])
    assert ".ngrok-free.app -> http://localhost:" in listed, listed
    assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET")
    assert number_record.load(NUMBER) is None


def test_a_kernel_shut_down_without_the_clean_up_puts_the_number_back(live_settings, kernel):
    running = kernel()
    everything = []
    public = run_until_live(running, everything)
    assert live_settings.twilio.webhook(NUMBER) == (public, "POST")
    assert number_record.load(NUMBER) is not None
    running.shut_down()
    assert not running.manager.is_alive()
    for _, outputs in everything:
        assert_clean(outputs, AUTH_TOKEN, NGROK_TOKEN)
    assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET")  # the atexit restore
    assert number_record.load(NUMBER) is None


@pytest.mark.parametrize(
    ("token", "code"),
    [("not-a-token", "ERR_NGROK_105"), (NGROK_TOKEN, "ERR_NGROK_107")],
    ids=["malformed", "revoked"],
)
def test_a_refused_token_is_in_no_saved_output(live_settings, kernel, token, code):
    """Every cell, top to bottom, with a token ngrok refuses: one sentence, the token nowhere."""
    running = kernel(NGROK_AUTHTOKEN=token, NGROK_STANDIN_REVOKED=NGROK_TOKEN)
    everything = [(source, running.run(source)) for source in code_cells()]
    refused = (
        f"ngrok refused the auth token ({code}): copy it again from "
        "https://dashboard.ngrok.com/get-started/your-authtoken into NGROK_AUTHTOKEN."
    )
    said = {source: " ".join(stream(outputs).split()) for source, outputs in everything}
    for marker in ('ngrok.connect(port, "http")', "ngrok.get_tunnels()", GO_LIVE):
        source = next(s for s in said if marker in s)
        assert refused in said[source], said[source]
    for source, outputs in everything:
        assert_clean(outputs, token, AUTH_TOKEN)
        assert token not in stream(outputs, "stderr"), (source, outputs)
    assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET")
    assert number_record.load(NUMBER) is None


def test_a_kernel_killed_outright_then_the_notebook_again(live_settings, kernel):
    """SIGKILL leaves the number pointed and the agent running: the next run says and fixes what it can."""
    first = kernel()
    public = run_until_live(first, [])
    process = first.manager.provisioner.process
    dead = process.pid
    process.kill()  # SIGKILL: no atexit, nothing restored
    process.wait()
    first.client.stop_channels()
    assert live_settings.twilio.webhook(NUMBER) == (public, "POST")
    agent = int((number_record.state_dir() / "ngrok-agent.pid").read_text())
    assert number_record.process_alive(agent)

    second = kernel()
    everything = [(source, second.run(source)) for source in code_cells()]
    said = {source: " ".join(stream(outputs).split()) for source, outputs in everything}
    cells = code_cells()
    left_running = (
        f"An ngrok agent that an earlier session started is still running on this computer "
        f"(process {agent}), and your ngrok account allows one at a time (ERR_NGROK_108): stop "
        f"it (`kill {agent}`, or end it in the Task Manager), then try again."
    )
    assert left_running in said[cells[index(cells, 'ngrok.connect(port, "http")')]]
    went_live = said[cells[index(cells, GO_LIVE)]]
    assert went_live.startswith(
        f"An earlier session (process {dead}) ended without putting {NUMBER} back: restored it, "
        f"its SMS webhook is {OLD_URL} (GET) again."
    ), went_live
    assert f"2. {left_running} Carrying on locally at" in went_live, went_live
    for source, outputs in everything:
        assert_clean(outputs, AUTH_TOKEN, NGROK_TOKEN)
        assert stream(outputs, "stderr") == "", (source, outputs)
    assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET")
    assert number_record.load(NUMBER) is None


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        (
            (ACCOUNT_SID, "wrong" * 6),
            "Twilio refused the credentials while {doing} (401): check TWILIO_ACCOUNT_SID and "
            "TWILIO_AUTH_TOKEN (the live ones, from https://console.twilio.com).",
        ),
        (
            ("AC" + "f" * 32, "test" * 8),
            "Twilio did not allow {doing} (403): test credentials cannot manage numbers; use the "
            "live TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.",
        ),
    ],
    ids=["wrong-credentials", "test-credentials"],
)
def test_refused_twilio_credentials_in_every_cell(live_settings, kernel, credentials, expected):
    live_settings.twilio.test_credentials = ("AC" + "f" * 32, "test" * 8)
    sid, token = credentials
    running = kernel(TWILIO_ACCOUNT_SID=sid, TWILIO_AUTH_TOKEN=token)
    everything = [(source, running.run(source)) for source in code_cells()]
    said = {source: " ".join(stream(outputs).split()) for source, outputs in everything}
    cells = code_cells()
    looked_up = said[cells[index(cells, "client.incoming_phone_numbers.list(")]]
    assert looked_up == expected.format(doing="looking up your number"), looked_up
    went_live = said[cells[index(cells, GO_LIVE)]]
    assert "2. Opened an ngrok tunnel: https://" in went_live, went_live
    assert "3. " + expected.format(doing="looking up your numbers") in went_live, went_live
    for source, outputs in everything:
        assert_clean(outputs, token, NGROK_TOKEN)
        assert stream(outputs, "stderr") == "", (source, outputs)
    assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET")
    assert number_record.load(NUMBER) is None


def test_twilio_down_at_the_clean_up_keeps_the_record_for_restore_number(live_settings, kernel):
    running = kernel()
    public = run_until_live(running, [])
    live_settings.twilio.fail += [("update", 503), ("fetch", 503)]
    cells = code_cells()
    said = " ".join(stream(running.run(cells[index(cells, CLEAN_UP)])).split())
    assert "its old webhook" in said and "python -m companion_app restore-number" in said, said
    assert "Traceback" not in said
    assert live_settings.twilio.webhook(NUMBER) == (public, "POST")
    assert number_record.load(NUMBER) is not None
    running.shut_down()
    assert number_record.load(NUMBER) is not None  # kept until Twilio confirms a restore
    code, out, err = run_cli("restore-number")  # what the sentence said to run
    assert (code, err) == (0, ""), out + err
    assert out == f"Restored {NUMBER}: its SMS webhook is {OLD_URL} (GET) again.\n"
    assert live_settings.twilio.webhook(NUMBER) == (OLD_URL, "GET")
    assert number_record.load(NUMBER) is None
