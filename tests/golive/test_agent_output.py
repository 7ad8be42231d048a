"""What the ngrok agent says: tokens hidden in pyngrok's log, where the agent looks for a token, an
error pyngrok lost. The agent itself (tests/support/ngrok_agent.py, started by the real pyngrok) is
in tests/golive/test_network_edge.py; the sentences a learner reads are in test_tunnel.py.
"""

import logging
import shutil

import pytest
from pyngrok import installer, process
from pyngrok.conf import PyngrokConfig
from pyngrok.exception import PyngrokNgrokError

from companion_app.golive import agent_output
from tests.support.values import PYNGROK_LOST

# ngrok's ERR_NGROK_105 as public issue threads quote it (ultrasecurity/Storm-Breaker#58): it
# echoes the refused token.
REFUSED = (
    't=2026-12-05T01:00:00+0000 lvl=eror msg="failed to reconnect session" '
    'err="authentication failed: The authtoken you specified does not look like a proper ngrok '
    'tunnel authtoken.\\nYour authtoken: {token}\\r\\n\\r\\nERR_NGROK_105\\r\\n"'
)


def test_pyngrok_s_record_of_a_refused_token_hides_it(caplog):
    token = "not-a-token-that-ngrok-knows"
    with caplog.at_level(logging.DEBUG, logger="pyngrok.process.ngrok"):
        logging.getLogger("pyngrok.process.ngrok").error(REFUSED.format(token=token))
    (record,) = caplog.records
    assert token not in record.getMessage()
    assert "Your authtoken: ***" in record.getMessage()
    assert "ERR_NGROK_105" in record.getMessage()


@pytest.mark.parametrize("where", ["pyngrok", "environment", "agent.authtoken", "authtoken", None])
def test_the_agent_has_a_token_where_ngrok_looks_for_one(tmp_path, monkeypatch, where):
    monkeypatch.delenv("NGROK_AUTHTOKEN", raising=False)
    config = PyngrokConfig(config_path=str(tmp_path / "ngrok.yml"))
    if where == "pyngrok":
        config.auth_token = "2abcTOKEN"
    elif where == "environment":
        monkeypatch.setenv("NGROK_AUTHTOKEN", "2abcTOKEN")
    elif where == "agent.authtoken":  # ngrok v3's file (what `ngrok config add-authtoken` writes)
        (tmp_path / "ngrok.yml").write_text('version: "3"\nagent:\n  authtoken: 2abcTOKEN\n')
    elif where == "authtoken":  # an ngrok v2 file
        (tmp_path / "ngrok.yml").write_text('version: "2"\nauthtoken: 2abcTOKEN\n')
    else:  # a v3 file without a token
        (tmp_path / "ngrok.yml").write_text('version: "3"\nagent:\n  region: eu\n')
    assert agent_output.agent_has_token(config) is (where is not None)


def test_the_real_pyngrok_raises_the_lost_error_for_an_agent_that_exits_without_a_word(tmp_path):
    """What pyngrok raises when it read no error before the agent was gone (true(1) as the agent)."""
    program = shutil.which("true")
    if program is None:
        pytest.skip("no true(1) program on this system")
    config = PyngrokConfig(ngrok_path=program, config_path=str(tmp_path / "ngrok.yml"))
    installer.install_default_config(config.config_path)
    with pytest.raises(PyngrokNgrokError) as raised:
        process.get_process(config)
    assert str(raised.value) == PYNGROK_LOST
    assert agent_output.lost_startup_error(raised.value)


def test_only_pyngrok_s_unable_to_start_without_an_error_is_a_lost_error():
    # pyngrok/process.py's two start-up failures, in its words.
    assert agent_output.lost_startup_error(PyngrokNgrokError(PYNGROK_LOST, []))
    assert not agent_output.lost_startup_error(
        PyngrokNgrokError(
            "The ngrok process errored on start: authentication failed ... ERR_NGROK_107.",
            [],
            "authentication failed ... ERR_NGROK_107",
        )
    )


def test_asking_again_without_an_agent_program_is_no_answer(tmp_path):
    config = PyngrokConfig(ngrok_path=str(tmp_path / "no-ngrok-here"), auth_token="2abcTOKEN")
    assert agent_output.startup_error_again(config) is None
