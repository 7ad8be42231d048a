"""Python in the browser (JupyterLite's Pyodide): what works there, and one sentence for what does not.

Pyodide has no threads, sockets or subprocesses. Flask's test client and the simulator's in-process
transport work unchanged; a real local server, the ngrok tunnel and gunicorn's workers do not.
"""

import sys

#: True when running in Pyodide (JupyterLite), where there are no threads, sockets or processes.
IN_BROWSER = sys.platform == "emscripten"

#: The series on Binder: a real Python in a browser tab.
BINDER_URL = "https://mybinder.org/v2/gh/sms-cookies/sms-cookies/main?urlpath=lab/tree/notebooks"

#: What every notebook says in the browser where a part of its lesson needs a real Python.
NEEDS_REAL_PYTHON = (
    "This part needs a real Python (threads, sockets or processes), which Python in the browser "
    f"does not have: run this notebook on Binder ({BINDER_URL}) or on your machine (make lab)."
)


def needs_real_python(what):
    """One plain sentence: what cannot run here, and where it can."""
    return f"{what.rstrip('.')}: {NEEDS_REAL_PYTHON[0].lower()}{NEEDS_REAL_PYTHON[1:]}"


class NotInBrowser:
    """A step that cannot happen in the browser (tunnel, number): falsy, and says why."""

    ok = False
    public_url = None
    phone_number = None

    def __init__(self, reason="browser", message=NEEDS_REAL_PYTHON):
        self.reason = reason
        self.message = message

    def close(self):
        """Nothing to close."""

    def restore(self):
        """Nothing to restore."""
        return None

    def __bool__(self):
        return False

    def __repr__(self):
        return f"<NotInBrowser {self.reason}: {self.message}>"


#: go_live's steps in the browser: each one says why it cannot happen there.
NoTunnel = NotInBrowser
DEFAULT_TIMEOUT = 0


def open_tunnel(*args, **kwargs):
    """No tunnel in the browser: the sentence says where one can be opened."""
    return NotInBrowser("browser", needs_real_python("No ngrok tunnel in the browser"))


def point_number(*args, **kwargs):
    """No number pointed from the browser: the sentence says where it can be."""
    return NotInBrowser("browser", needs_real_python("No Twilio number pointed from the browser"))


def recover_earlier(*args, **kwargs):
    """No number was pointed from the browser, so there is nothing to recover."""
    return []


def restore_all(*args, **kwargs):
    """No number was pointed from the browser, so there is nothing to restore."""
    return []
