"""Open an ngrok tunnel to a local port with pyngrok, or explain in one sentence why not."""

import contextlib
import getpass
import io
import os
import re
import sys
import threading
import warnings

from pyngrok.exception import PyngrokError, PyngrokNgrokError, PyngrokNgrokInstallError

from companion_app.golive import number_record
from companion_app.golive.agent_output import (
    agent_has_token,
    lost_startup_error,
    startup_error_again,
    tokens_used,
)
from companion_app.golive.skipped import NoTunnel
from companion_app.inbrowser import Unavailable
from companion_app.settings import read_environment

try:
    from pyngrok import conf, ngrok
    from pyngrok.conf import PyngrokConfig
except PyngrokNgrokInstallError as error:  # Python in the browser: no ngrok program exists for it
    conf = ngrok = PyngrokConfig = Unavailable(error)

AUTHTOKEN_PAGE = "https://dashboard.ngrok.com/get-started/your-authtoken"

#: Why a tunnel did not open: reason -> the sentence a learner reads (with the fix).
MESSAGES = {
    "reloader": (
        "No tunnel from the werkzeug reloader's child process: the parent process opens it "
        "(run without debug=True or use_reloader=False)."
    ),
    "no-token": (
        f"No ngrok auth token: copy yours from {AUTHTOKEN_PAGE} into NGROK_AUTHTOKEN "
        "(environment or .env), or {ask_how} to type it."
    ),
    "cannot-ask": (
        "No ngrok auth token, and there is no way to type one here (no terminal, or a notebook "
        f"run without input): copy yours from {AUTHTOKEN_PAGE} into NGROK_AUTHTOKEN "
        "(environment or .env)."
    ),
    "none-typed": (
        f"No ngrok auth token was typed: copy yours from {AUTHTOKEN_PAGE} into NGROK_AUTHTOKEN "
        "(environment or .env) to skip the question next time."
    ),
    "no-download": (
        "The ngrok program could not be downloaded (no internet?): connect to the internet, "
        "or install ngrok yourself and set PYNGROK_NGROK_PATH to it."
    ),
    "token-refused": (
        "ngrok refused the auth token ({code}): copy it again from " + AUTHTOKEN_PAGE + " into "
        "NGROK_AUTHTOKEN."
    ),
    "agent-token": (
        "ngrok needs an auth token ({code}): copy yours from " + AUTHTOKEN_PAGE + " into "
        "NGROK_AUTHTOKEN (environment or .env)."
    ),
    "agent-busy": (
        "Your ngrok account already has an agent running elsewhere ({code}): stop that one "
        "(free accounts allow one; on this computer, end the other `ngrok` process), then try "
        "again."
    ),
    "agent-here": (
        "An ngrok agent that an earlier session started is still running on this computer "
        "(process {pid}), and your ngrok account allows one at a time ({code}): stop it "
        "(`kill {pid}`, or end it in the Task Manager), then try again."
    ),
    "agent-error": (
        "The ngrok agent stopped with {code}: see https://ngrok.com/docs/errors/{slug}/ for the fix."
    ),
    "timeout": (
        "ngrok did not answer within {timeout:g} seconds: check your internet connection "
        "(a firewall may block ngrok), then try again."
    ),
    "error": "The ngrok tunnel could not open ({detail}): see the ngrok log, or try again.",
}

#: ngrok error codes that mean "this auth token is not accepted" (4018: there is none).
TOKEN_CODES = frozenset({"ERR_NGROK_105", "ERR_NGROK_107"})
#: ngrok error codes that mean "too many agents on this account".
BUSY_CODES = frozenset({"ERR_NGROK_108"})

#: How ngrok writes its error codes (pyngrok parses the same pattern).
ERROR_CODE = re.compile(r"ERR_NGROK_\d+")

DEFAULT_TIMEOUT = 60  # a first run downloads ngrok (about 10 MB)


def _agent_file():
    return number_record.state_dir() / "ngrok-agent.pid"


def remember_agent(pid):
    """Note the agent's process id: a session killed outright leaves its agent running."""
    with contextlib.suppress(OSError):
        number_record.ensure_state_dir()
        _agent_file().write_text(str(pid), encoding="utf-8")


def forget_agent():
    with contextlib.suppress(OSError):
        _agent_file().unlink()


def agent_left_running():
    """The process id of an agent an earlier session started and left running, or None."""
    try:
        pid = int(_agent_file().read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    ours = {t.agent_pid for t in _open_tunnels}
    if 0 < pid < 2**31 and pid not in ours and number_record.process_alive(pid):
        return pid
    return None


#: The tunnels open_tunnel() opened and nobody closed yet (they share one ngrok agent).
_open_tunnels = set()


class OpenTunnel:
    """An open tunnel: its public https URL, and close() to shut it (and the ngrok agent) down."""

    ok = True
    reason = None

    def __init__(self, public_url, port, config, ngrok_url=None, agent_pid=None):
        self.public_url = public_url
        self.agent_pid = agent_pid
        self.port = port
        self.message = f"ngrok tunnel open: {public_url} -> http://127.0.0.1:{port}"
        self._config = config
        self._ngrok_url = ngrok_url or public_url
        self._closed = False
        _open_tunnels.add(self)

    def close(self):
        """Disconnect the tunnel, and stop the ngrok agent after the last one; harmless twice."""
        if self._closed:
            return
        self._closed = True
        _open_tunnels.discard(self)
        # Closing must never raise: the agent may already be gone.
        with contextlib.suppress(PyngrokError, OSError):
            ngrok.disconnect(self._ngrok_url, pyngrok_config=self._config)
        if not _open_tunnels:
            with contextlib.suppress(PyngrokError, OSError):
                ngrok.kill(pyngrok_config=self._config)
            forget_agent()

    @property
    def closed(self):
        """True once close() was called."""
        return self._closed

    def __bool__(self):
        return True

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self):
        state = "closed" if self._closed else "open"
        return f"<OpenTunnel {self.public_url} -> port {self.port} {state}>"


def in_reloader_child():
    """True inside the process that werkzeug's reloader starts (it must not open a tunnel)."""
    return os.environ.get("WERKZEUG_RUN_MAIN") == "true"


_STDLIB_GETPASS = getpass.getpass


def ask_secret(prompt):
    """Ask for a secret without echo: "" if skipped, None when nobody can be asked here."""
    ask = getpass.getpass  # looked up now: a Jupyter kernel replaces it with its own
    if ask is _STDLIB_GETPASS and not (sys.stdin and sys.stdin.isatty()):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", getpass.GetPassWarning)
            return (ask(prompt) or "").strip()
    except (NotImplementedError, EOFError, OSError):  # ipykernel's StdinNotImplementedError
        return None


def find_auth_token(auth_token=None, ask=False, env_file=".env"):
    """The ngrok auth token: given, else NGROK_AUTHTOKEN (environment or .env), else typed in if ask.

    Returns (token or None, reason): reason is "no-token", "cannot-ask" or "none-typed" without one.
    """
    token = auth_token or read_environment(env_file).get("NGROK_AUTHTOKEN")
    if token:
        return token, None
    if not ask:
        return None, "no-token"
    typed = ask_secret("ngrok auth token (input hidden, Enter to skip): ")
    if typed is None:
        return None, "cannot-ask"
    return (typed, None) if typed else (None, "none-typed")


def explain(error, timeout=DEFAULT_TIMEOUT, secret=None, config=None):
    """Map a pyngrok error to a NoTunnel with one plain sentence; the token never appears in it.

    config: the PyngrokConfig the failed call used (pyngrok's default when None). When pyngrok lost
    the agent's error, the agent is asked again (startup_error_again) before a sentence is chosen.
    """
    if isinstance(error, PyngrokNgrokInstallError):
        return NoTunnel("no-download", MESSAGES["no-download"])
    if isinstance(error, TimeoutError) or isinstance(getattr(error, "reason", None), TimeoutError):
        return NoTunnel("timeout", MESSAGES["timeout"].format(timeout=timeout))
    code = getattr(error, "ngrok_error_code", None)
    if code is None and isinstance(error, PyngrokNgrokError):
        found = ERROR_CODE.search(str(error))
        code = found.group(0) if found else None
    if code is None and lost_startup_error(error):
        if not agent_has_token(config):
            code = "ERR_NGROK_4018"  # what the agent says without a token: no need to ask
        else:
            found = ERROR_CODE.search(startup_error_again(config) or "")
            code = found.group(0) if found else None
    if code == "ERR_NGROK_4018":
        return NoTunnel("no-token", MESSAGES["agent-token"].format(code=code))
    if code in TOKEN_CODES:
        return NoTunnel("token-refused", MESSAGES["token-refused"].format(code=code))
    if code in BUSY_CODES:
        pid = agent_left_running()
        if pid:
            return NoTunnel("agent-busy", MESSAGES["agent-here"].format(code=code, pid=pid))
        return NoTunnel("agent-busy", MESSAGES["agent-busy"].format(code=code))
    if code:
        slug = code.lower().replace("_", "-")
        return NoTunnel("agent-error", MESSAGES["agent-error"].format(code=code, slug=slug))
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if secret:
        detail = detail.replace(secret, "***")
    detail = detail.rstrip(".")
    return NoTunnel("error", MESSAGES["error"].format(detail=detail))


def _connect(port, config, outcome, abandoned):
    """Run in a worker thread: open the tunnel; if the caller gave up meanwhile, close it again."""
    try:
        outcome["tunnel"] = ngrok.connect(str(port), "http", pyngrok_config=config)
    except (PyngrokError, OSError) as error:  # reported to the caller as a sentence
        outcome["error"] = error
        return
    except BaseException as error:  # a bug: re-raised in the caller's thread
        outcome["bug"] = error
        return
    if abandoned.is_set():
        with contextlib.suppress(PyngrokError, OSError):
            ngrok.disconnect(outcome["tunnel"].public_url, pyngrok_config=config)
            if not _open_tunnels:
                ngrok.kill(pyngrok_config=config)


def open_tunnel(
    port,
    auth_token=None,
    ask=False,
    env_file=".env",
    ngrok_path=None,
    timeout=DEFAULT_TIMEOUT,
    ask_how="pass ask=True",
):
    """Open an https tunnel to 127.0.0.1:port; return an OpenTunnel or a NoTunnel that says why not.

    `ask_how` completes the no-token sentence: how this caller's user gets asked for the token.
    """
    if in_reloader_child():
        return NoTunnel("reloader", MESSAGES["reloader"])
    token, why_not = find_auth_token(auth_token, ask=ask, env_file=env_file)
    if not token:
        return NoTunnel("no-token", MESSAGES[why_not].format(ask_how=ask_how))
    tokens_used.add(token)

    config = PyngrokConfig(
        ngrok_path=ngrok_path or os.environ.get("PYNGROK_NGROK_PATH") or None,
        config_path=conf.get_default().config_path,  # where the learner's pyngrok config says
        auth_token=token,
        startup_timeout=max(1, int(timeout)),
    )
    outcome, abandoned = {}, threading.Event()
    worker = threading.Thread(
        target=_connect, args=(port, config, outcome, abandoned), name="ngrok-connect", daemon=True
    )
    # pyngrok writes its download progress to stdout with "\r"; a notebook keeps every such line.
    with contextlib.redirect_stdout(io.StringIO()):
        worker.start()
        worker.join(timeout)
    if worker.is_alive():
        abandoned.set()
        return NoTunnel("timeout", MESSAGES["timeout"].format(timeout=timeout))
    if "bug" in outcome:
        raise outcome["bug"]
    if "error" in outcome:
        return explain(outcome["error"], timeout=timeout, secret=token, config=config)

    ngrok_url = outcome["tunnel"].public_url
    public_url = "https://" + ngrok_url.split("://", 1)[-1]  # ngrok serves both; Twilio wants https
    agent_pid = None
    with contextlib.suppress(AttributeError, PyngrokError, OSError):
        agent_pid = ngrok.get_ngrok_process(pyngrok_config=config).proc.pid
        remember_agent(agent_pid)
    return OpenTunnel(public_url, port, config, ngrok_url=ngrok_url, agent_pid=agent_pid)
