"""Serve the built site to a room: every page and the in-browser Python, nothing from the internet."""

import contextlib
import functools
import ipaddress
import socket
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

#: Types a browser insists on: JavaScript modules, and WebAssembly for Pyodide to compile it.
TYPES = {
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".ipynb": "application/json",
    ".whl": "application/zip",
    ".zip": "application/zip",
}

WILDCARDS = {"", "0.0.0.0", "::"}  # noqa: S104


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files with the right types; one short log line per request."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def log_message(self, format, *args):
        """Log errors only: a room loading the site would flood the terminal."""
        if len(args) > 1 and str(args[1]).startswith(("4", "5")):
            super().log_message(format, *args)


class SiteServer(ThreadingHTTPServer):
    """The site's server: a browser that drops a connection mid-download is no error to print."""

    def handle_error(self, request, client_address):
        """Print the traceback of a real failure, not of a client that went away."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def lan_address():
    """This machine's address on the local network, found without sending a packet."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 1))  # UDP "connect" sends nothing: it picks the interface
        address = probe.getsockname()[0]
        if not ipaddress.ip_address(address).is_loopback:
            return address
    with contextlib.suppress(OSError):
        address = socket.gethostbyname(socket.gethostname())
        if not ipaddress.ip_address(address).is_loopback:
            return address
    return None


def board_url(host, port):
    """The URL to write on the board for a server bound to host:port."""
    if host in WILDCARDS:
        address = lan_address()
        if address is None:
            return f"http://127.0.0.1:{port}/"
        return f"http://{address}:{port}/"
    if ":" in host:
        return f"http://[{host}]:{port}/"
    return f"http://{host}:{port}/"


def make_server(root, host="0.0.0.0", port=8000):  # noqa: S104
    """A threading HTTP server for the folder root (not started)."""
    handler = functools.partial(SiteHandler, directory=str(root))
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server_class = type("SiteServer", (SiteServer,), {"address_family": family})
    return server_class((host, port), handler)


def serve(root, host="0.0.0.0", port=8000):  # noqa: S104
    """Serve root until Ctrl+C, after printing the URL for the room."""
    if not (root / "index.html").exists():
        print(f"No site in {root.name}/ yet: run make site first.", file=sys.stderr)
        return 1
    try:
        server = make_server(root, host, port)
    except OSError as error:
        print(
            f"Cannot serve on {host}:{port} ({error.strerror}): choose another, "
            "e.g. make serve-site PORT=8080",
            file=sys.stderr,
        )
        return 1
    url = board_url(host, server.server_address[1])
    print(f"Serving the site from {root.name}/ on {host}:{server.server_address[1]}.")
    print(f"Write this on the board: {url}")
    if host in WILDCARDS and url.startswith("http://127.0.0.1"):
        print("No network address found: only this machine can open it.")
    print("Everything, Python included, comes from this machine. Stop with Ctrl+C.", flush=True)
    with server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("\nStopped.")
    return 0
