"""Servers with no socket, for Python in the browser (Pyodide has no sockets and no threads).

An InProcessServer has a made-up URL; the simulator given that URL delivers to its app directly,
and requests reaches it through route_requests_in_process, so a notebook's cells run unchanged.
"""

#: The in-process servers that are running; app_at() looks a URL up among them.
_running = []


class InProcessServer:
    """The browser's stand-in for LocalServer: no port; the simulator reaches the app in-process."""

    def __init__(self, app, name="default"):
        self.app = app
        self.host = None
        self.port = None
        self.url = f"http://{name}.in-process"
        _running.append(self)

    @property
    def running(self):
        """True until stop() is called."""
        return self in _running

    def stop(self):
        """Stop answering; calling it twice is harmless."""
        if self in _running:
            _running.remove(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def __repr__(self):
        state = "running in-process (no sockets in the browser)" if self.running else "stopped"
        return f"<InProcessServer {self.url} {state}>"


def app_at(url):
    """The app of the newest running in-process server whose url starts url, or None."""
    for server in reversed(_running):
        if url.startswith(server.url):
            return server.app
    return None


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


def route_requests_in_process(app_at=app_at):
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
