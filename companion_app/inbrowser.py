"""Python in the browser (JupyterLite's Pyodide): what works there, and one sentence for what does not.

Pyodide has no threads, sockets or subprocesses. Flask's test client and the simulator's in-process
transport work unchanged; a real local server, the ngrok tunnel and gunicorn's workers do not. The
stand-ins sit beside what they replace: serving.inprocess for the local server (and requests),
golive.inbrowser for the tunnel and the number.
"""

import sys

#: True when running in Pyodide (JupyterLite), where there are no threads, sockets or processes.
IN_BROWSER = sys.platform == "emscripten"


def binder_url():
    """The series on Binder at this release, from the package's Repository URL and version."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        meta = metadata("sms-cookies")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "https://mybinder.org"
    urls = dict(url.split(", ", 1) for url in meta.get_all("Project-URL") or [])
    repository = urls.get("Repository", "").removeprefix("https://github.com/").strip("/")
    return f"https://mybinder.org/v2/gh/{repository}/v{meta['Version']}?urlpath=lab/tree/notebooks"


#: The series on Binder: a real Python in a browser tab.
BINDER_URL = binder_url()

#: What every notebook says in the browser where a part of its lesson needs a real Python.
NEEDS_REAL_PYTHON = (
    "This part needs a real Python (threads, sockets or processes), which Python in the browser "
    f"does not have: run this notebook on Binder ({BINDER_URL}) or on your machine (make lab)."
)


def needs_real_python(what):
    """One plain sentence: what cannot run here, and where it can."""
    return f"{what.rstrip('.')}: {NEEDS_REAL_PYTHON[0].lower()}{NEEDS_REAL_PYTHON[1:]}"


class Unavailable:
    """A module that could not load here: using any of its names raises the error that stopped it."""

    def __init__(self, error):
        self._error = error

    def __getattr__(self, name):
        raise self._error
