"""What the ngrok agent says, as pyngrok passes it on: its tokens hidden in pyngrok's log, and its
start-up error read again when pyngrok lost it.
"""

import contextlib
import logging
import os
import re
import subprocess
import threading

from pyngrok.exception import PyngrokError, PyngrokNgrokError, PyngrokNgrokInstallError

from companion_app.inbrowser import Unavailable

try:
    from pyngrok import conf
except PyngrokNgrokInstallError as error:  # Python in the browser: no ngrok program exists for it
    conf = Unavailable(error)


#: What ngrok's authentication errors echo: "Your authtoken: <the token>" (ERR_NGROK_105, 107).
ECHOED_TOKEN = re.compile(r"(Your authtoken:\s*)[^\s\\\"]+")


class HideTokens(logging.Filter):
    """Replace ngrok auth tokens in pyngrok's records with *** (the agent echoes refused ones)."""

    def filter(self, record):
        text = record.getMessage()
        hidden = ECHOED_TOKEN.sub(r"\1***", text)
        for token in _known_tokens():
            hidden = hidden.replace(token, "***")
        if hidden != text:
            record.msg, record.args = hidden, None
        return True


def _known_tokens():
    tokens = {os.environ.get("NGROK_AUTHTOKEN"), *tokens_used}
    with contextlib.suppress(AttributeError, PyngrokError):
        tokens.add(conf.get_default().auth_token)
    return [t for t in tokens if t and len(t) >= 4]


#: Tokens given to open_tunnel in this process (hidden from pyngrok's records too).
tokens_used = set()
#: pyngrok re-logs every agent line on this logger, at the agent's level.
for _name in ("pyngrok.process.ngrok", "pyngrok.process", "pyngrok.ngrok"):
    logging.getLogger(_name).addFilter(HideTokens())


def agent_has_token(config=None):
    """True when the ngrok agent started with an auth token: pyngrok's, NGROK_AUTHTOKEN's or its
    config file's (agent.authtoken, or authtoken in an old file), as the agent looks for one."""
    import yaml  # pyngrok's own dependency

    config = config or conf.get_default()
    if config.auth_token or os.environ.get("NGROK_AUTHTOKEN"):
        return True
    try:
        with open(conf.get_config_path(config), encoding="utf-8") as file:
            data = yaml.safe_load(file) or {}
    except (OSError, yaml.YAMLError):
        return False
    agent = data.get("agent") if isinstance(data, dict) else None
    return bool((agent or {}).get("authtoken") or (data or {}).get("authtoken"))


def lost_startup_error(error):
    """True for pyngrok's "unable to start" with no error from the agent.

    pyngrok reads the agent's first lines and stops reading as soon as the agent has exited: an
    agent that prints a line, then its error and exits (no token: ERR_NGROK_4018; a refused one:
    ERR_NGROK_105 or 107) can be done before pyngrok has read past the first line, and the error
    is lost. Seen on a loaded machine, with every kind of token.
    """
    return (
        isinstance(error, PyngrokNgrokError)
        and "unable to start" in str(error)
        and not getattr(error, "ngrok_error", None)
    )


#: Seconds the agent gets to say why it cannot start when it is asked again (pyngrok's default
#: start-up timeout).
ASK_AGAIN_SECONDS = 15


def startup_error_again(config=None, timeout=ASK_AGAIN_SECONDS):
    """The agent's own start-up error, read by starting it once more as pyngrok does; or None.

    pyngrok.process cannot give back an error it stopped reading (see lost_startup_error), so the
    same command runs again (pyngrok 9.1's `ngrok start --none --log stdout` with its --config,
    --authtoken and --region) and every line is read, with pyngrok's own NgrokLog, until the agent
    exits, logs an error, or has started; then it is stopped. Its lines go to pyngrok's logger, as
    pyngrok logs them (tokens hidden there by HideTokens).
    """
    from pyngrok.log import NgrokLog

    config = config or conf.get_default()
    command = [config.ngrok_path, "start", "--none", "--log", "stdout"]
    for flag, value in (
        ("--config", config.config_path),
        ("--authtoken", config.auth_token),
        ("--region", config.region),
    ):
        if value:
            command += [flag, value]
    try:
        agent = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=os.name == "posix",
        )
    except OSError:
        return None
    found = []

    def read():
        logger = logging.getLogger("pyngrok.process.ngrok")
        for line in agent.stdout:
            entry = NgrokLog(line.strip())
            logger.log(getattr(logging, entry.lvl, logging.INFO), line.strip())
            if entry.lvl in ("ERROR", "CRITICAL") and entry.err:
                found.append(entry.err)
                return
            if entry.msg in ("client session established", "tunnel session started"):
                return  # it starts this time: nothing to report

    reader = threading.Thread(target=read, name="ngrok-ask-again", daemon=True)
    reader.start()
    reader.join(timeout)
    with contextlib.suppress(OSError):
        agent.kill()
    agent.wait()
    reader.join(1)
    agent.stdout.close()
    return found[0] if found else None
