"""Serve the built site to a room: every page and the in-browser Python, nothing from the internet.

The server is tornado's (it comes with JupyterLab, so nothing new to install): its HTTPServer and
StaticFileHandler are what Jupyter's own servers run on, and they bring what a room needs that
`http.server` lacks. HTTP/1.1 keep-alive (a learner's browser fetches about 160 files over a few
connections, not one connection each); one event loop instead of a thread per connection, with an
idle timeout, so stalled or abandoned connections are dropped instead of holding threads; and
ETags computed from each file's content. Validating by content matters here: npm's files all
carry the same 1985 modification time, so Last-Modified cannot tell an upgraded Pyodide from the
old one, and this server sends no Last-Modified at all. It sends `Cache-Control: no-cache`, so a
browser revalidates each file (a 304 of a few hundred bytes) instead of guessing how long to keep it.

Around that, this module adds:
- a listen backlog of 1024 (socketserver's default of 5 lets the kernel drop the connections of a
  room that starts together, silently);
- the gzip files the build writes beside text assets (`name.gz`), sent with `Content-Encoding:
  gzip` and `Vary: Accept-Encoding` to a browser that accepts gzip. Compressing at build time costs
  the room nothing per request. There is no brotli: browsers offer it only to secure origins
  (HTTPS, or this machine itself), and a room reaches this server over plain HTTP;
- the types browsers insist on (JavaScript modules, WebAssembly);
- folders give their index.html or 404, never a listing; nothing outside the site's folder is
  served, whether asked with `..`, its URL-encoded form or a symlink pointing out;
- quiet logging: one line per request that failed on the server's side, and no traceback for a
  browser that drops a connection.
"""

import asyncio
import contextlib
import functools
import hashlib
import http
import ipaddress
import logging
import os
import signal
import socket
import sys
import threading

import tornado.httpserver
import tornado.ioloop
import tornado.netutil
import tornado.web

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

#: Connections a room may open before the server has accepted them (the kernel caps it at
#: net.core.somaxconn, 4096 on current Linux).
BACKLOG = 1024
#: Seconds a connection may sit without sending a complete request (headers dripped slowly
#: included) before it is closed; browsers reopen kept-alive connections as they need them.
IDLE_TIMEOUT = 20.0
#: The suffix of the compressed copies the build writes beside text assets.
GZIP_SUFFIX = ".gz"


@functools.lru_cache(maxsize=512)
def content_bytes(path, inode, size, changed_ns):
    """A file's bytes, read once and kept (per inode, size and change time, which a rebuild alters).

    A room asks for the same 160 files 30 times over: tornado's StaticFileHandler reads each from
    disk in 64 KB pieces and waits for the socket after each; from memory the whole file is one
    write, which the event loop sends as fast as the socket takes it. The site a room fetches is
    about 15 MB, the largest file 10 MB.
    """
    with open(path, "rb") as file:
        return file.read()


@functools.lru_cache(maxsize=4096)
def content_etag(path, inode, size, changed_ns):
    """The ETag of a file's content: a hash of the bytes content_bytes keeps."""
    digest = hashlib.sha256(content_bytes(path, inode, size, changed_ns)).hexdigest()
    return f'"{digest[:32]}"'


def version(path):
    """(path, inode, size, change time): what the two caches above are keyed by."""
    stat = os.stat(path)
    return path, stat.st_ino, stat.st_size, stat.st_ctime_ns


def accepts_gzip(header):
    """True when an Accept-Encoding header allows gzip (RFC 9110: q=0 refuses it)."""
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip", "*"):
            quality = params.strip().lower().removeprefix("q=")
            try:
                return not params.strip() or float(quality) > 0
            except ValueError:
                return False
    return False


class SiteHandler(tornado.web.StaticFileHandler):
    """The site's files: content ETags, precompressed gzip, the right types, never a listing."""

    encoded = False  # the .gz copy is sent
    has_compressed = False  # the file has a .gz copy: the response depends on Accept-Encoding

    def validate_absolute_path(self, root, absolute_path):
        """The file to send (its .gz copy when the browser accepts gzip); 403 for anything outside root."""
        path = super().validate_absolute_path(root, absolute_path)
        if path is None:
            return None
        real_root = os.path.realpath(root)
        if os.path.commonpath([os.path.realpath(path), real_root]) != real_root:
            raise tornado.web.HTTPError(403)
        if path.endswith(GZIP_SUFFIX):
            raise tornado.web.HTTPError(404)  # the compressed copies are not pages of their own
        self.original = path
        compressed = path + GZIP_SUFFIX
        if os.path.isfile(compressed):
            self.has_compressed = True
            if accepts_gzip(self.request.headers.get("Accept-Encoding", "")):
                self.encoded = True
                return compressed
        return path

    def compute_etag(self):
        """An ETag from the content sent, so a rebuilt file is never taken for the old one."""
        return content_etag(*version(self.absolute_path))

    @classmethod
    def get_content(cls, abspath, start=None, end=None):
        """The file's bytes from memory (see content_bytes), or the part a Range asked for."""
        data = content_bytes(*version(abspath))
        return data if start is None and end is None else data[start:end]

    def get_content_size(self):
        """The size of the file sent (tornado's cached stat may be the uncompressed file's)."""
        return os.stat(self.absolute_path).st_size

    def get_modified_time(self):
        """None: no Last-Modified, since npm's files all say 1985 (validation is by ETag)."""
        return None

    def get_content_type(self):
        """The type of the file asked for (not of its .gz copy), with the types browsers insist on."""
        extension = os.path.splitext(self.original)[1].lower()
        if extension in TYPES:
            return TYPES[extension]
        saved, self.absolute_path = self.absolute_path, self.original
        try:
            return super().get_content_type()
        finally:
            self.absolute_path = saved

    def set_extra_headers(self, path):
        """Revalidate every time; say which encoding was sent and that it depends on the request."""
        self.set_header("Cache-Control", "no-cache")
        if self.has_compressed:
            self.set_header("Vary", "Accept-Encoding")
        if self.encoded:
            self.set_header("Content-Encoding", "gzip")

    def write_error(self, status_code, **kwargs):
        """A one-line error page (no traceback, whatever the settings)."""
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {http.HTTPStatus(status_code).phrase}\n")


def make_app(root):
    """The tornado application serving the folder root."""
    return tornado.web.Application(
        [(r"/(.*)", SiteHandler, {"path": str(root), "default_filename": "index.html"})],
        log_function=log_request,
    )


access_log = logging.getLogger("tools.sitebuild.serve")


def log_request(handler):
    """One line for a request that failed (404, 500...); nothing for the room's normal traffic."""
    status = handler.get_status()
    if status >= 400:
        request = handler.request
        access_log.warning("%d %s %s (%s)", status, request.method, request.uri, request.remote_ip)


class SiteServer:
    """The site's server, bound at creation (so its port is known) and run by serve_forever().

    The same shape as socketserver's servers: server_address, serve_forever(), shutdown(),
    server_close(), and a context manager.
    """

    def __init__(self, root, host, port, backlog=BACKLOG, idle_timeout=IDLE_TIMEOUT):
        self.root = root
        self.backlog = backlog
        self.idle_timeout = idle_timeout
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sockets = tornado.netutil.bind_sockets(port, host, family=family, backlog=backlog)
        self.server_address = self.sockets[0].getsockname()[:2]
        self.loop = None
        self.stopped = threading.Event()

    def serve_forever(self, parent=None):
        """Serve in this thread until shutdown() (from another thread) or Ctrl+C.

        parent: the process that started this one (serve_in_processes); serving stops when it is
        gone, so that a killed parent leaves no server holding the port.
        """
        self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(quiet_exception_handler)
        asyncio.set_event_loop(self.loop)
        if parent is not None:
            orphan_check = tornado.ioloop.PeriodicCallback(
                lambda: os.getppid() != parent and self.loop.stop(), 1000
            )
            orphan_check.start()
        try:
            server = tornado.httpserver.HTTPServer(
                make_app(self.root),
                idle_connection_timeout=self.idle_timeout,
                body_timeout=self.idle_timeout,
                max_body_size=1 << 16,  # the site takes no uploads
            )
            server.add_sockets(self.sockets)
            self.loop.run_forever()
            server.stop()
            self.loop.run_until_complete(server.close_all_connections())
        finally:
            self.loop.close()
            self.stopped.set()

    def shutdown(self):
        """Stop serve_forever() from another thread, and wait for it."""
        if self.loop is not None and not self.stopped.is_set():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.stopped.wait(timeout=10)

    def server_close(self):
        """Close the listening sockets."""
        for sock in self.sockets:
            sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.server_close()


def quiet_exception_handler(loop, context):
    """Leave out a browser that went away; report anything else as asyncio would."""
    if isinstance(context.get("exception"), ConnectionError):
        return
    loop.default_exception_handler(context)


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


def make_server(root, host="0.0.0.0", port=8000, **options):  # noqa: S104
    """The site's server for the folder root, bound to host:port (not started)."""
    return SiteServer(root, host or "0.0.0.0", port, **options)  # noqa: S104


def quiet_logging():
    """Warnings and errors only, one line each: tornado's per-request lines would flood the terminal."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("tools.sitebuild.serve", "tornado.application"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        logger.propagate = False
    # A client that sends garbage or goes away mid-request is its own problem, not the room's.
    for name in ("tornado.general", "tornado.access", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def default_processes():
    """Server processes for a room: one per core, at most 4; one where there is no fork (Windows)."""
    if not hasattr(os, "fork"):
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, 4))


def serve_in_processes(server, count):
    """Serve on `count` processes sharing the listening sockets; return when they have all stopped.

    One tornado process answers about 3,000 small requests a second on one core, and a room's
    first visit is 30 x 161 requests: two processes took x0.83 of one's time for 30 learners on 2
    cores (python -m benchmarks.room). tornado.process.fork_processes does the forking too, but
    its parent neither passes SIGTERM on nor stops its children when it ends, so a stopped
    `make serve-site` would leave servers holding the port; here the parent passes SIGTERM and
    Ctrl+C on and waits, and each child stops by itself if the parent is killed outright.
    """
    parent, children = os.getpid(), []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:  # a child: serve until stopped, then leave without running the parent's code
            status = 0
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                server.serve_forever(parent=parent)
            except KeyboardInterrupt:
                pass
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        children.append(pid)

    def stop(signum=signal.SIGTERM, frame=None):
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        for pid in children:
            while True:
                try:
                    os.waitpid(pid, 0)
                    break
                except KeyboardInterrupt:  # the terminal's Ctrl+C reached the children too
                    stop()
                except ChildProcessError:
                    break
    finally:
        stop()
        signal.signal(signal.SIGTERM, previous)


def serve(root, host="0.0.0.0", port=8000, processes=None):  # noqa: S104
    """Serve root until Ctrl+C or SIGTERM, after printing the URL for the room."""
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
    quiet_logging()
    url = board_url(host, server.server_address[1])
    print(f"Serving the site from {root.name}/ on {host}:{server.server_address[1]}.")
    print(f"Write this on the board: {url}")
    if host in WILDCARDS and url.startswith("http://127.0.0.1"):
        print("No network address found: only this machine can open it.")
    print("Everything, Python included, comes from this machine. Stop with Ctrl+C.", flush=True)
    processes = processes or default_processes()
    with server:
        try:
            if processes > 1:
                serve_in_processes(server, processes)
            else:
                server.serve_forever()
        except KeyboardInterrupt:
            pass
    print("\nStopped.", flush=True)
    return 0
