"""Python in the browser (JupyterLite's Pyodide): what works there, and one sentence for what does not.

Pyodide has no threads, sockets or subprocesses. Flask's test client and the simulator's in-process
transport work unchanged; a real local server, the ngrok tunnel and gunicorn's workers do not.
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


def send_in_process(adapter, request, app):
    """requests' PreparedRequest answered by a WSGI app in this process, as a requests Response.

    werkzeug's test client runs the app; the answer becomes the urllib3 response that requests'
    HTTPAdapter.build_response turns into a Response, Set-Cookie headers and cookie jar included.
    """
    import io
    from http.client import HTTPMessage
    from urllib.parse import urlsplit

    from urllib3 import HTTPResponse
    from werkzeug.test import Client

    parts = urlsplit(request.url)
    answer = Client(app, use_cookies=False).open(
        parts.path or "/",
        base_url=f"{parts.scheme}://{parts.netloc}",
        query_string=parts.query,
        method=request.method,
        headers=list(request.headers.items()),
        data=request.body or b"",
    )
    message = HTTPMessage()
    for name, value in answer.headers.items():
        message[name] = value  # repeated headers (Set-Cookie) stay separate

    class Original:
        """What requests reads cookies from: the http.client response's headers."""

        msg = message

        @staticmethod
        def isclosed():
            return True

    raw = HTTPResponse(
        body=io.BytesIO(answer.get_data()),
        headers=list(answer.headers.items()),
        status=answer.status_code,
        reason=answer.status.partition(" ")[2],
        preload_content=False,
        original_response=Original(),
    )
    return adapter.build_response(request, raw)


def route_requests_in_process(app_at):
    """In the browser, let requests reach in-process servers: app_at(url) names the app, or None.

    Python in the browser has no sockets, so requests cannot reach a server on 127.0.0.1; the
    in-process server answers instead, and every other URL fails as it would have.
    """
    from requests.adapters import HTTPAdapter

    send = HTTPAdapter.send
    if getattr(send, "in_process", False):
        return

    def send_to_app(adapter, request, **kwargs):
        app = app_at(request.url)
        if app is None:
            return send(adapter, request, **kwargs)
        return send_in_process(adapter, request, app)

    send_to_app.in_process = True
    HTTPAdapter.send = send_to_app


class Unavailable:
    """A module that could not load here: using any of its names raises the error that stopped it."""

    def __init__(self, error):
        self._error = error

    def __getattr__(self, name):
        raise self._error
