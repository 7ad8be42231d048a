"""open_tunnel: pyngrok replaced by a fake at companion_app.golive.tunnel.ngrok, plus this machine's real failure."""

import io
import threading

import pytest
from pyngrok.conf import PyngrokConfig
from pyngrok.exception import (
    PyngrokError,
    PyngrokNgrokError,
    PyngrokNgrokInstallError,
    PyngrokNgrokURLError,
)

from companion_app.golive import tunnel
from companion_app.golive.tunnel import open_tunnel
from tests.support.fakes import (
    PUBLIC,
    TOKEN,
    FakeNgrok,
    resolves,
)
from tests.support.values import PYNGROK_LOST as LOST


@pytest.fixture
def fake_ngrok(monkeypatch):
    """A FakeNgrok in place of pyngrok's ngrok module, and no reloader or ngrok path in the env."""
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    monkeypatch.delenv("PYNGROK_NGROK_PATH", raising=False)
    fake = FakeNgrok()
    monkeypatch.setattr("companion_app.golive.tunnel.ngrok", fake)
    monkeypatch.setattr("companion_app.golive.tunnel._open_tunnels", set())
    return fake


def test_opens_https_tunnel_with_token_from_environment(fake_ngrok, monkeypatch):
    monkeypatch.setenv("NGROK_AUTHTOKEN", TOKEN)
    opened = open_tunnel(5123)
    assert opened.ok and opened
    assert opened.public_url == PUBLIC
    (name, addr, proto, config), *_ = fake_ngrok.calls
    assert (name, addr, proto) == ("connect", "5123", "http")
    assert config.auth_token == TOKEN


def test_close_disconnects_and_stops_the_agent_once(fake_ngrok, monkeypatch):
    monkeypatch.setenv("NGROK_AUTHTOKEN", TOKEN)
    with open_tunnel(5123) as opened:
        pass
    opened.close()
    assert fake_ngrok.names() == ["connect", "disconnect", "kill"]
    assert fake_ngrok.calls[1][1] == PUBLIC
    assert opened.closed


def test_the_agent_stops_with_the_last_tunnel(fake_ngrok):
    first = open_tunnel(5123, auth_token=TOKEN)
    second = open_tunnel(5124, auth_token=TOKEN)
    first.close()
    assert fake_ngrok.names() == ["connect", "connect", "disconnect"]
    second.close()
    assert fake_ngrok.names() == ["connect", "connect", "disconnect", "disconnect", "kill"]


def test_http_url_is_given_as_https(fake_ngrok, monkeypatch):
    fake_ngrok.public_url = "http://a1b2.ngrok.io"
    opened = open_tunnel(5123, auth_token=TOKEN)
    assert opened.public_url == "https://a1b2.ngrok.io"
    opened.close()
    assert fake_ngrok.calls[1][1] == "http://a1b2.ngrok.io"  # pyngrok knows it by its own URL


def test_token_from_dotenv_file(fake_ngrok, tmp_path):
    (tmp_path / ".env").write_text(f"NGROK_AUTHTOKEN={TOKEN}\n")
    opened = open_tunnel(5123)
    assert opened.ok
    assert fake_ngrok.calls[0][3].auth_token == TOKEN


def test_honours_pyngrok_ngrok_path(fake_ngrok, monkeypatch, tmp_path):
    monkeypatch.setenv("PYNGROK_NGROK_PATH", str(tmp_path / "bin" / "ngrok"))
    open_tunnel(5123, auth_token=TOKEN)
    assert fake_ngrok.calls[0][3].ngrok_path == str(tmp_path / "bin" / "ngrok")


def test_ngrok_path_argument_wins(fake_ngrok, monkeypatch, tmp_path):
    monkeypatch.setenv("PYNGROK_NGROK_PATH", "/elsewhere/ngrok")
    open_tunnel(5123, auth_token=TOKEN, ngrok_path=str(tmp_path / "ngrok"))
    assert fake_ngrok.calls[0][3].ngrok_path == str(tmp_path / "ngrok")


def test_ask_uses_the_kernel_s_getpass(fake_ngrok, monkeypatch, capsys):
    """A Jupyter kernel replaces getpass.getpass with its own password box: that one is used."""
    prompts = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or f" {TOKEN} ")
    opened = open_tunnel(5123, ask=True)
    assert opened.ok
    assert fake_ngrok.calls[0][3].auth_token == TOKEN
    assert prompts == ["ngrok auth token (input hidden, Enter to skip): "]
    assert TOKEN not in capsys.readouterr().out


def test_ask_is_not_used_when_a_token_is_set(fake_ngrok, monkeypatch):
    monkeypatch.setenv("NGROK_AUTHTOKEN", TOKEN)
    monkeypatch.setattr("getpass.getpass", pytest.fail)
    assert open_tunnel(5123, ask=True).ok


def no_stdin(prompt):
    """ipykernel's getpass when the front end cannot send input (nbclient, nbval)."""
    from IPython.core.error import StdinNotImplementedError

    raise StdinNotImplementedError("getpass was called, but this frontend does not support input")


@pytest.mark.parametrize(
    ("ask", "getpass", "message"),
    [
        (
            False,
            pytest.fail,
            "No ngrok auth token: copy yours from "
            "https://dashboard.ngrok.com/get-started/your-authtoken into NGROK_AUTHTOKEN "
            "(environment or .env), or pass ask=True to type it.",
        ),
        (
            True,
            lambda prompt: "  ",
            "No ngrok auth token was typed: copy yours from "
            "https://dashboard.ngrok.com/get-started/your-authtoken into NGROK_AUTHTOKEN "
            "(environment or .env) to skip the question next time.",
        ),
        (
            True,
            no_stdin,
            "No ngrok auth token, and there is no way to type one here (no terminal, or a "
            "notebook run without input): copy yours from "
            "https://dashboard.ngrok.com/get-started/your-authtoken into NGROK_AUTHTOKEN "
            "(environment or .env).",
        ),
    ],
)
def test_no_token(fake_ngrok, monkeypatch, capsys, ask, getpass, message):
    monkeypatch.setattr("getpass.getpass", getpass)
    result = open_tunnel(5123, ask=ask)
    assert not result.ok and not result
    assert result.reason == "no-token"
    assert result.public_url is None
    assert result.message == message
    assert fake_ngrok.calls == []
    assert capsys.readouterr() == ("", "")
    result.close()  # harmless


def test_no_terminal_and_no_kernel_means_no_question(fake_ngrok, monkeypatch):
    """A script whose stdin is not a terminal is never stopped by a prompt it cannot answer."""
    monkeypatch.setattr("sys.stdin", io.StringIO("a line a script was piped\n"))
    result = open_tunnel(5123, ask=True)
    assert result.message.startswith("No ngrok auth token, and there is no way to type one here")


def test_the_command_line_words_the_hint_its_own_way(fake_ngrok):
    result = open_tunnel(5123, ask_how="run this command in a terminal, where it asks")
    assert result.message.endswith("or run this command in a terminal, where it asks to type it.")


def test_never_from_the_reloader_child(fake_ngrok, monkeypatch):
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    result = open_tunnel(5123, auth_token=TOKEN)
    assert result.reason == "reloader"
    assert "reloader" in result.message
    assert fake_ngrok.calls == []


def agent_error(code):
    """A PyngrokNgrokError as pyngrok raises it when the agent fails on start."""
    line = f"authentication failed: Usage of ngrok requires a verified account.\\r\\n\\r\\n{code}\\r\\n"
    return PyngrokNgrokError(f"The ngrok process errored on start: {line}.", [], line)


@pytest.mark.parametrize(
    ("error", "reason", "message"),
    [
        (
            PyngrokNgrokInstallError(
                "An error occurred while downloading ngrok from https://bin.ngrok.com/x.tgz: "
                "<urlopen error [Errno -2] Name or service not known>"
            ),
            "no-download",
            "The ngrok program could not be downloaded (no internet?): connect to the internet, "
            "or install ngrok yourself and set PYNGROK_NGROK_PATH to it.",
        ),
        (
            agent_error("ERR_NGROK_4018"),
            "no-token",
            "ngrok needs an auth token (ERR_NGROK_4018): copy yours from "
            "https://dashboard.ngrok.com/get-started/your-authtoken into NGROK_AUTHTOKEN "
            "(environment or .env).",
        ),
        (
            agent_error("ERR_NGROK_105"),
            "token-refused",
            "ngrok refused the auth token (ERR_NGROK_105): copy it again from "
            "https://dashboard.ngrok.com/get-started/your-authtoken into NGROK_AUTHTOKEN.",
        ),
        (
            PyngrokNgrokError("The ngrok process errored on start: ERR_NGROK_107."),
            "token-refused",
            "ngrok refused the auth token (ERR_NGROK_107): copy it again from "
            "https://dashboard.ngrok.com/get-started/your-authtoken into NGROK_AUTHTOKEN.",
        ),
        (
            agent_error("ERR_NGROK_108"),
            "agent-busy",
            "Your ngrok account already has an agent running elsewhere (ERR_NGROK_108): stop that "
            "one (free accounts allow one; on this computer, end the other `ngrok` process), then "
            "try again.",
        ),
        (
            agent_error("ERR_NGROK_8012"),
            "agent-error",
            "The ngrok agent stopped with ERR_NGROK_8012: see "
            "https://ngrok.com/docs/errors/err-ngrok-8012/ for the fix.",
        ),
        (
            PyngrokNgrokURLError("ngrok client exception, URLError: timed out", TimeoutError()),
            "timeout",
            "ngrok did not answer within 60 seconds: check your internet connection (a firewall "
            "may block ngrok), then try again.",
        ),
        (
            TimeoutError("timed out"),
            "timeout",
            "ngrok did not answer within 60 seconds: check your internet connection (a firewall "
            "may block ngrok), then try again.",
        ),
        (
            PyngrokNgrokError("The ngrok process was unable to start.", []),
            "error",
            "The ngrok tunnel could not open (The ngrok process was unable to start): see the "
            "ngrok log, or try again.",
        ),
        (
            PyngrokError('"public_url" was not populated for tunnel <pending Tunnel>\nmore'),
            "error",
            'The ngrok tunnel could not open ("public_url" was not populated for tunnel <pending '
            "Tunnel>): see the ngrok log, or try again.",
        ),
    ],
)
def test_failures_are_one_sentence(fake_ngrok, capsys, error, reason, message):
    fake_ngrok.error = error
    result = open_tunnel(5123, auth_token=TOKEN)
    assert (result.reason, result.message) == (reason, message)
    assert "\n" not in result.message
    assert capsys.readouterr() == ("", "")  # no traceback, nothing printed


def test_token_never_appears_in_the_message(fake_ngrok):
    fake_ngrok.error = PyngrokError(f"ngrok said: bad token {TOKEN}")
    result = open_tunnel(5123, auth_token=TOKEN)
    assert result.reason == "error"
    assert TOKEN not in result.message
    assert "***" in result.message


def test_a_bug_is_not_hidden(fake_ngrok):
    fake_ngrok.error = ValueError("a programming error")
    with pytest.raises(ValueError, match="a programming error"):
        open_tunnel(5123, auth_token=TOKEN)


def test_download_progress_is_not_left_in_the_output(fake_ngrok, capsys):
    """pyngrok's "Downloading ngrok ..." ends in a carriage return, which a notebook keeps."""
    fake_ngrok.stdout = "Downloading ngrok ...\r"
    assert open_tunnel(5123, auth_token=TOKEN).ok
    assert capsys.readouterr().out == ""


def test_timeout_gives_up_and_closes_a_late_tunnel(fake_ngrok):
    fake_ngrok.release = threading.Event()
    result = open_tunnel(5123, auth_token=TOKEN, timeout=0.2)
    assert result.reason == "timeout"
    assert result.message == (
        "ngrok did not answer within 0.2 seconds: check your internet connection (a firewall "
        "may block ngrok), then try again."
    )
    fake_ngrok.release.set()  # the agent answers after all: the worker closes what it opened
    for _ in range(100):
        if "kill" in fake_ngrok.names():
            break
        threading.Event().wait(0.02)
    assert fake_ngrok.names() == ["connect", "disconnect", "kill"]


@pytest.fixture
def offline(monkeypatch):
    """Skip unless this machine cannot reach ngrok's download server (so nothing is downloaded)."""
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    monkeypatch.delenv("PYNGROK_NGROK_PATH", raising=False)
    if resolves("bin.ngrok.com"):
        pytest.skip("this machine is online: the real offline failure cannot happen here")


def test_real_pyngrok_offline_says_ngrok_cannot_be_downloaded(offline, tmp_path, capsys):
    """The real pyngrok, on a machine without internet: it tries to download ngrok and fails."""
    ngrok_path = tmp_path / "ngrok" / "ngrok"
    result = open_tunnel(5123, auth_token=TOKEN, ngrok_path=str(ngrok_path), timeout=10)
    assert result.reason == "no-download"
    assert result.message == tunnel.MESSAGES["no-download"]
    assert not ngrok_path.exists()
    out, err = capsys.readouterr()
    assert out == ""  # no "Downloading ngrok ..." line left behind in a notebook
    assert TOKEN not in out + err + result.message


def no_token_anywhere(tmp_path):
    """A pyngrok config with no token whose ngrok config file does not exist."""
    return PyngrokConfig(config_path=str(tmp_path / "ngrok.yml"))


def test_a_lost_error_without_any_token_is_the_missing_token(tmp_path):
    found = tunnel.explain(PyngrokNgrokError(LOST, []), config=no_token_anywhere(tmp_path))
    assert found.reason == "no-token"
    assert "ERR_NGROK_4018" in found.message and "NGROK_AUTHTOKEN" in found.message


def test_a_lost_error_with_a_token_says_what_pyngrok_said(tmp_path):
    """A token (here in ngrok's config file; every place the agent looks is in
    test_agent_output.py) and no agent to ask again (no program at ngrok_path)."""
    config = no_token_anywhere(tmp_path)
    config.ngrok_path = str(tmp_path / "no-ngrok-here")
    (tmp_path / "ngrok.yml").write_text('version: "3"\nagent:\n  authtoken: 2abcTOKEN\n')
    found = tunnel.explain(PyngrokNgrokError(LOST, []), config=config)
    assert found.reason == "error"
    assert "unable to start" in found.message and "4018" not in found.message


def test_an_error_the_agent_gave_is_never_replaced(tmp_path):
    error = PyngrokNgrokError(
        "The ngrok process errored on start: authentication failed ... ERR_NGROK_107.",
        [],
        "authentication failed: ... ERR_NGROK_107",
    )
    found = tunnel.explain(error, config=no_token_anywhere(tmp_path))
    assert found.reason == "token-refused" and "ERR_NGROK_107" in found.message
