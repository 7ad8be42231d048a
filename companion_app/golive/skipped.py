"""A go-live step that did not happen (no tunnel, no number pointed): falsy, and says why."""

from companion_app.inbrowser import NEEDS_REAL_PYTHON


class Skipped:
    """A step that did not happen: `reason` names the case and `message` says how to fix it.

    It is falsy and has nothing to close or restore, so code that undoes the steps need not ask
    which ones happened.
    """

    ok = False
    public_url = None

    def __init__(self, reason, message, phone_number=None):
        self.reason = reason
        self.message = message
        self.phone_number = phone_number

    def close(self):
        """Nothing to close."""

    def restore(self):
        """Nothing to restore."""
        return None

    def __bool__(self):
        return False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self):
        return f"<{type(self).__name__} {self.reason}: {self.message}>"


class NoTunnel(Skipped):
    """No tunnel was opened."""


class NumberNotPointed(Skipped):
    """The number was not changed; the message says what would have happened, or how to fix it."""


class NotInBrowser(Skipped):
    """A step that cannot happen in Python in the browser (no sockets, threads or processes)."""

    def __init__(self, reason="browser", message=NEEDS_REAL_PYTHON, phone_number=None):
        super().__init__(reason, message, phone_number)
