"""Serve a WSGI app on a real local port from a notebook or script, and stop it cleanly.

In the browser (Pyodide: no sockets, no threads) serve() answers in-process instead (inprocess.py):
the simulator given the server's url delivers to the app directly, so the same cells run in both
places.
"""

import re
import threading

from werkzeug.serving import DechunkedInput, WSGIRequestHandler, make_server
from werkzeug.urls import uri_to_iri

from companion_app.inbrowser import IN_BROWSER
from companion_app.serving.framing import ChunkedBody, RequestGuard
from companion_app.serving.inprocess import InProcessServer, route_requests_in_process
from companion_app.serving.printable import printable
from companion_app.serving.registry import Registry

#: A query string in a logged request line: it holds the message Body of a GET webhook.
QUERY = re.compile(r"\?[^\s'\"]*")


class RequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, made safe for a public URL.

    A chunked body is read by ChunkedBody (werkzeug's own reader spins forever on a huge chunk
    size), a client that stalls is dropped after `timeout` seconds, and the access log shows the
    path without the query string.
    """

    #: Seconds a client may stall while sending (Twilio waits 15 s for the whole reply).
    timeout = 30

    def make_environ(self):
        """The WSGI environ, with a safe reader for a chunked body."""
        environ = super().make_environ()
        if isinstance(environ["wsgi.input"], DechunkedInput):
            environ["wsgi.input"] = ChunkedBody(self.rfile)
        return environ

    def log_request(self, code="-", size="-"):
        """One access line: method, path (no query string) and status."""
        path = getattr(self, "path", None)
        if path is None:
            line = QUERY.sub("?...", self.requestline)
        else:
            line = f"{self.command} {uri_to_iri(path.split('?', 1)[0])} {self.request_version}"
        self.log("info", '"%s" %s %s', printable(line), code, size)

    def log_error(self, format, *args):
        """Werkzeug's error lines, without a request line's query string or control characters."""
        self.log("error", "%s", printable(QUERY.sub("?...", format % args)))


class QuietRequestHandler(RequestHandler):
    """The safe handler without the per-request log line (it would land in a later notebook cell)."""

    def log_request(self, code="-", size="-"):
        """Log nothing for a normal request."""


#: How often, in seconds, the serving thread looks whether stop() was called. socketserver's default
#: is 0.5, and every stop waited for it: a self-check that starts and stops a server took 0.5 s
#: longer than its work. An idle server wakes 20 times a second to look, which costs nothing seen.
POLL_INTERVAL = 0.05


class LocalServer:
    """A werkzeug server on a free port in a daemon thread; use as a context manager or call stop().

    Every app it serves is behind RequestGuard: a body over 64 KB gets 413, broken framing 400.
    """

    def __init__(self, app, host="127.0.0.1", port=0):
        self._server = make_server(
            host, port, RequestGuard(app), threaded=True, request_handler=QuietRequestHandler
        )
        self.host = host
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL},
            name=f"LocalServer:{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def running(self):
        """True until stop() is called."""
        return self._thread.is_alive()

    def stop(self):
        """Stop serving and free the port; calling it twice is harmless."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def __repr__(self):
        state = "running" if self.running else "stopped"
        return f"<LocalServer {self.url} {state}>"


#: The servers serve() started, by name.
_named = Registry(close="stop")


def serve(app, name="default", host="127.0.0.1", port=0):
    """Start app on a free port; a server started earlier under the same name is stopped first.

    This is what makes re-running a notebook cell safe: the old server does not keep its port.
    """
    if IN_BROWSER:
        route_requests_in_process()
        return _named.start(name, lambda: InProcessServer(app, name))
    return _named.start(name, lambda: LocalServer(app, host=host, port=port))


def stop(name="default"):
    """Stop the server started under `name`, if any."""
    _named.stop(name)


def stop_all():
    """Stop every server started with serve()."""
    _named.stop_all()
