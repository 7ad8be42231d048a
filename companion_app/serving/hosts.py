"""More than one machine on one machine: app hosts behind nginx, sharing a Redis.

    with RedisServer() as redis, Hosts(3, env={...}) as hosts, LoadBalancer(hosts.urls) as lb:
        TwilioSimulator(lb.url, webhook_url="https://sms.example.com/sms", ...)
        lb.host_of(response)           # which host answered: "host 2"

- ``RedisServer``: the system's ``redis-server`` on a free loopback port, in a temporary folder,
  nothing saved to disk; ``stop()`` and ``start()`` again on the same port play a Redis restart.
- ``Hosts``: several gunicorns (production.Gunicorn), each on its own port, in its own working
  folder, sharing nothing but the environment they are given; ``kill(n)`` plays a machine dying.
- ``LoadBalancer``: the system's ``nginx`` in front of them, round-robin (nginx's default), with a
  configuration generated into a temporary folder. It stands where the public name ends: it sets
  X-Forwarded-Proto and X-Forwarded-Host to the public URL's (replacing whatever a client sent), so
  hosts with TRUST_PROXY_HEADERS check each signature against the URL Twilio signed. Each answer
  carries ``X-Upstream``, the host that answered. A host that refuses connections is skipped, and
  a request a host took but never answered is passed to the next host too (``non_idempotent``):
  safe only because a retried message counts once (the session cookie, or /sms/store's
  MessageSid record).

Each part says in one sentence what to install when the system lacks it (``missing()``).
``SMS_COOKIES_NO_SYSTEM_SERVERS=1`` in the environment makes redis-server and nginx count as
missing even when installed, to run (and test) the notebook the way a learner without them sees it.
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from companion_app.serving import production

REDIS_MISSING = (
    "redis-server is not installed: install it from your system's packages "
    "(Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) to run this part."
)
NGINX_MISSING = (
    "nginx is not installed: install it from your system's packages "
    "(Debian/Ubuntu: sudo apt-get install nginx-light; macOS: brew install nginx) to run this part."
)
REDIS_PY_MISSING = (
    "redis-py is not installed: install the 'production' extra "
    '(pip install -e ".[production]") to run this part.'
)

#: Set to 1: behave as if redis-server and nginx were not installed.
NO_SYSTEM_SERVERS = "SMS_COOKIES_NO_SYSTEM_SERVERS"

#: Where Debian puts nginx (often not on a normal user's PATH).
NGINX_PLACES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/opt/homebrew/bin/nginx")

WORKER_PID = re.compile(r"Booting worker with pid: (\d+)")


def free_port():
    """A loopback TCP port no one listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _no_system_servers():
    return os.environ.get(NO_SYSTEM_SERVERS, "") not in ("", "0")


def redis_server_path():
    """The redis-server program, or None (also when SMS_COOKIES_NO_SYSTEM_SERVERS=1)."""
    if _no_system_servers():
        return None
    return shutil.which("redis-server")


def nginx_path():
    """The nginx program (PATH, then where systems install it), or None (also when switched off)."""
    if _no_system_servers():
        return None
    found = shutil.which("nginx")
    if found:
        return found
    return next((p for p in NGINX_PLACES if os.access(p, os.X_OK)), None)


def missing(redis=True, nginx=True, gunicorn=True):
    """One sentence per missing part (gunicorn, redis-py, redis-server, nginx); [] when all are here."""
    import importlib.util

    reasons = []
    if gunicorn and production.UNAVAILABLE:
        reasons.append(production.UNAVAILABLE)
    if redis and importlib.util.find_spec("redis") is None:
        reasons.append(REDIS_PY_MISSING)
    if redis and redis_server_path() is None:
        reasons.append(REDIS_MISSING)
    if nginx and nginx_path() is None:
        reasons.append(NGINX_MISSING)
    return reasons


def _wait_for_port(port, process, log, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited early:\n{log()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{process.args[0]} did not listen within {timeout} s:\n{log()}")


def _stop(process, timeout=10):
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


class RedisServer:
    """The system's redis-server on 127.0.0.1 and a free port; nothing written outside its folder."""

    def __init__(self, port=None, start_timeout=10):
        self.port = port or free_port()
        self.start_timeout = start_timeout
        self._folder = tempfile.TemporaryDirectory(prefix="redis-")
        self.folder = Path(self._folder.name)
        self.process = None

    @property
    def url(self):
        """Where the app finds it: redis://127.0.0.1:PORT/0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def log(self):
        """What redis-server logged."""
        path = self.folder / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self):
        """Start it (again, on the same port, empty: nothing is saved) and wait until it listens."""
        program = redis_server_path()
        if program is None:
            raise RuntimeError(REDIS_MISSING)
        command = [program, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        command += ["--logfile", str(self.folder / "redis.log"), "--daemonize", "no"]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        try:
            _wait_for_port(self.port, self.process, self.log, self.start_timeout)
        except BaseException:
            _stop(self.process)
            raise
        return self

    @property
    def running(self):
        """True while redis-server is alive."""
        return self.process is not None and self.process.poll() is None

    def stop(self):
        """Stop redis-server (what it held is gone: nothing is saved)."""
        _stop(self.process)

    def close(self):
        """Stop it and delete its folder."""
        self.stop()
        self._folder.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self):
        return f"<RedisServer {self.url} {'running' if self.running else 'stopped'}>"


class Hosts:
    """`count` app hosts: gunicorns on their own ports, each in its own empty working folder."""

    def __init__(self, count=3, env=None, workers=1, app_spec=production.APP):
        self.count, self.env, self.workers, self.app_spec = (
            count,
            dict(env or {}),
            workers,
            app_spec,
        )
        self.hosts = []

    def start(self):
        """Start every host and wait until each answers."""
        try:
            for _ in range(self.count):
                host = production.Gunicorn(self.app_spec, env=self.env, workers=self.workers)
                self.hosts.append(host.start())
        except BaseException:
            self.close()
            raise
        return self

    @property
    def urls(self):
        """Each host's own URL, http://127.0.0.1:PORT, in order."""
        return [host.url for host in self.hosts]

    def name_of(self, address):
        """'host 2' for the host at 127.0.0.1:PORT (as nginx's X-Upstream names it)."""
        for number, url in enumerate(self.urls, start=1):
            if url.endswith("//" + address):
                return f"host {number}"
        return address

    def kill(self, number):
        """SIGKILL host `number` (1, 2, …) and its workers at once, as a machine that dies."""
        host = self.hosts[number - 1]
        pids = [int(pid) for pid in WORKER_PID.findall(host.log())]
        for pid in [host.process.pid, *pids]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        host.process.wait(timeout=10)

    def log(self, number):
        """What host `number` logged."""
        return self.hosts[number - 1].log()

    def close(self):
        """Stop every host and delete its folder."""
        for host in self.hosts:
            host.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.close()

    def __len__(self):
        return len(self.hosts)


NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    # Round-robin over the hosts (nginx's default). A host that fails is left out for 10 s.
    upstream hosts {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://hosts;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # The public URL Twilio signed, whatever a client claims (TRUST_PROXY_HEADERS).
            proxy_set_header X-Forwarded-Proto {scheme};
            proxy_set_header X-Forwarded-Host {public_host};
            proxy_set_header X-Forwarded-For $remote_addr;
            # A host that refuses, or takes a request and dies, is replaced by the next one.
            proxy_next_upstream error timeout non_idempotent;
            proxy_connect_timeout 2s;
            proxy_read_timeout 15s;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


class LoadBalancer:
    """The system's nginx on a free loopback port, round-robin over `upstreams` (base URLs)."""

    def __init__(self, upstreams, public_url, port=None, start_timeout=10):
        self.upstreams = list(upstreams)
        self.public = urlsplit(public_url)
        self.port = port or free_port()
        self.start_timeout = start_timeout
        self._folder = tempfile.TemporaryDirectory(prefix="nginx-")
        self.folder = Path(self._folder.name)
        self.process = None

    @property
    def url(self):
        """Where Twilio's requests arrive: http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self.port}"

    def config(self):
        """nginx.conf for these hosts and this public URL."""
        servers = "\n".join(
            f"        server {urlsplit(u).netloc} max_fails=1 fail_timeout=10s;"
            for u in self.upstreams
        )
        return NGINX_CONF.format(
            folder=self.folder,
            servers=servers,
            port=self.port,
            scheme=self.public.scheme,
            public_host=self.public.netloc,
        )

    def log(self):
        """nginx's error log."""
        path = self.folder / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self):
        """Write the configuration, start nginx in the foreground and wait until it listens."""
        program = nginx_path()
        if program is None:
            raise RuntimeError(NGINX_MISSING)
        conf = self.folder / "nginx.conf"
        conf.write_text(self.config(), encoding="utf-8")
        command = [
            program,
            "-p",
            str(self.folder),
            "-c",
            str(conf),
            "-e",
            str(self.folder / "error.log"),
        ]
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            _wait_for_port(self.port, self.process, self.log, self.start_timeout)
        except BaseException:
            _stop(self.process)
            raise
        return self

    @property
    def running(self):
        """True while nginx is alive."""
        return self.process is not None and self.process.poll() is None

    def stop(self):
        """Stop nginx (SIGTERM: fast shutdown)."""
        _stop(self.process)

    def close(self):
        """Stop nginx and delete its folder."""
        self.stop()
        self._folder.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self):
        return f"<LoadBalancer {self.url} over {len(self.upstreams)} hosts>"
