"""go_live's steps in Python in the browser: each one says in one sentence why it cannot happen."""

from companion_app.golive.skipped import NotInBrowser
from companion_app.inbrowser import needs_real_python

#: go_live's tunnel timeout in the browser (no tunnel is opened).
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
