"""A stand-in for the ngrok agent (v3) that pyngrok starts exactly as it starts the real program.

Run through the executable `tests/support/ngrok` (pyngrok execs `ngrok_path`): point
`PYNGROK_NGROK_PATH`, `PyngrokConfig(ngrok_path=...)` or `conf.get_default().ngrok_path` at it.
Nothing leaves 127.0.0.1. Where each format comes from:

- Command line: pyngrok 9.1.0 `process._start_process` runs
  `ngrok start --none --log stdout [--config PATH] [--authtoken TOKEN] [--region R]`;
  `process.set_auth_token` runs `ngrok config add-authtoken TOKEN --log stdout [--config PATH]` and
  expects "Authtoken saved" in the output; `ngrok.get_version` reads the text after "version ".
- Config file: pyngrok's `installer.install_default_config` writes YAML `version: '3'` (plus any
  `agent:` block) to `--config` or, without it, to ngrok's default path, which the agent then reads
  itself (Linux: `$XDG_CONFIG_HOME/ngrok/ngrok.yml`, else `~/.config/ngrok/ngrok.yml`, as pyngrok's
  `installer.get_default_ngrok_dir` and ngrok's config documentation say). The token is taken from
  `--authtoken`, else `NGROK_AUTHTOKEN`, else `agent.authtoken` in that file; `agent.web_addr` is
  honoured. Without a web_addr the API listens on a free port (the real default is 4040; other
  processes on this machine may hold it).
- Log lines: logfmt on stdout, `t=... lvl=info msg="..." key=value`. pyngrok's `log.NgrokLog`
  parses them with shlex; `process.NgrokProcess._log_startup_line` waits for
  `msg="starting web service" ... addr=HOST:PORT`, "client session established" and "tunnel session
  started", and treats `lvl=eror` / `lvl=crit` as the start-up error (its `err=`). The start-up
  lines and the failure sequence ("failed to reconnect session", "session closing", "terminating
  with error", "command failed") and the `err="authentication failed: ...\\r\\n\\r\\nERR_NGROK_N\\r\\n"`
  form are copied from agent output quoted in public issue threads: pyngrok #125 and
  runatlantis/atlantis#6164 (ERR_NGROK_4018), ultrasecurity/Storm-Breaker#58 (ERR_NGROK_105, which
  echoes the token as "Your authtoken: ..."), inconshreveable/ngrok#474 (ERR_NGROK_107, echoes it
  too) and vdesabou/kafka-docker-playground#7140 (ERR_NGROK_108, the v3 wording).
- Agent API (http://127.0.0.1:PORT/api, JSON): ngrok's agent API documentation and pyngrok's
  `ngrok.py` and tests (tests/test_ngrok_endpoints.py): `POST/GET /api/endpoints` (config version 3:
  `{"name", "uri", "url", "upstream": {"url", "protocol"}}`, no `config`) and `/api/tunnels` (the
  older shape: `{"name", "uri", "public_url", "proto", "config": {"addr", "inspect"}, "metrics"}`),
  `DELETE /api/{endpoints,tunnels}/NAME` answers 204.

How each failure is chosen (the token decides, as it does for the real service):
- no token at all: ERR_NGROK_4018;
- a token not shaped like ngrok's (`<20+ letters/digits>_<15+ letters/digits>`): ERR_NGROK_105;
- a token listed in `NGROK_STANDIN_REVOKED` (comma-separated): ERR_NGROK_107;
- a second agent with the same token while the first still runs: ERR_NGROK_108 (a free account
  allows one agent session). The sessions are files in `NGROK_STANDIN_STATE`, "ngrok's cloud".

The public URL is `https://<id>.ngrok-free.app`. It really reaches the local server: when
`NGROK_STANDIN_TLS_CERT` and `NGROK_STANDIN_TLS_KEY` name a certificate for `*.ngrok-free.app`
(signed by a test CA), the agent listens for HTTPS on a free 127.0.0.1 port and writes
`NGROK_STANDIN_STATE/routes/<host>` holding that port; the test's CONNECT proxy (HTTPS_PROXY) sends
the host there. Requests are forwarded to the upstream with the Host header kept and
X-Forwarded-For / X-Forwarded-Proto / X-Forwarded-Host added, as ngrok's documentation describes.
"""

import contextlib
import hashlib
import http.client
import json
import os
import re
import secrets
import signal
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import yaml

VERSION = "3.19.0"
DASHBOARD_TOKEN = "https://dashboard.ngrok.com/get-started/your-authtoken"
PROPER_TOKEN = re.compile(r"[0-9A-Za-z]{20,}_[0-9A-Za-z]{15,}")

ERRORS = {
    "ERR_NGROK_4018": (
        "Usage of ngrok requires a verified account and authtoken.\n\n"
        "Sign up for an account: https://dashboard.ngrok.com/signup\n"
        f"Install your authtoken: {DASHBOARD_TOKEN}"
    ),
    "ERR_NGROK_105": (
        "The authtoken you specified does not look like a proper ngrok tunnel authtoken.\n"
        "Your authtoken: {token}\n"
        "Instructions to install your authtoken are on your ngrok dashboard:\n"
        f"{DASHBOARD_TOKEN}"
    ),
    "ERR_NGROK_107": (
        "The authtoken you specified is properly formed, but it is invalid.\n"
        "Your authtoken: {token}\n"
        "This usually happens when:\n"
        "    - You reset your authtoken\n"
        "    - Your authtoken was for a team account that you were removed from\n"
        "    - You are using ngrok link and this credential was explicitly revoked\n"
        "Go to your ngrok dashboard and double check that your authtoken is correct:\n"
        f"{DASHBOARD_TOKEN}"
    ),
    "ERR_NGROK_108": (
        "Your account is limited to 1 simultaneous ngrok agent sessions.\n"
        "Run multiple endpoints at the same time from a single agent by defining them in your "
        "agent configuration file and running `ngrok start --all`.\n"
        "Read more about the agent configuration file: https://ngrok.com/docs/agent/config/ \n"
        "You can view your current agent sessions in the dashboard: "
        "https://dashboard.ngrok.com/agents. Upgrade to a paid plan to remove this limit:\n"
        "https://dashboard.ngrok.com/billing/choose-a-plan"
    ),
}


def now():
    """ngrok's timestamp: local time with a numeric offset, like 2026-02-07T19:59:52+0800."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def quote(value):
    """A logfmt value: bare when it needs no quotes, else quoted with \\n, \\r and \\" escaped."""
    text = str(value)
    if text and not re.search(r'[\s"=\\]', text):
        return text
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"'


def log(lvl, msg, **fields):
    """Print one logfmt line as `--log stdout` does, and flush (pyngrok reads line by line)."""
    parts = [f"t={now()}", f"lvl={lvl}", f"msg={quote(msg)}"]
    parts += [f"{key}={quote(value)}" for key, value in fields.items()]
    print(" ".join(parts), flush=True)


def default_config_path():
    """ngrok's default config file on Linux (what pyngrok writes when config_path is None)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "ngrok", "ngrok.yml")


def parse(argv):
    """The options pyngrok passes: {"command": [...], "--config": [...], "--authtoken": ...}."""
    options = {"command": [], "--config": []}
    words = iter(argv)
    for word in words:
        if word in ("--config", "--authtoken", "--region", "--log", "--log-format"):
            value = next(words, "")
            if word == "--config":
                options["--config"] += [p for p in value.split(",") if p]
            else:
                options[word] = value
        elif word == "--none":
            options["--none"] = True
        else:
            options["command"].append(word)
    return options


def read_config(paths):
    """Merge the YAML config files (later ones win), logging each as ngrok does."""
    merged = {}
    if not paths:
        log("info", "no configuration paths supplied")
        paths = [default_config_path()]
        log("info", "using configuration at default config path", path=paths[0])
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle) or {}
        except FileNotFoundError:
            data = {}
        log("info", "open config file", path=path, err="nil")
        for key, value in data.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key].update(value)
            else:
                merged[key] = value
    return merged


class Agent:
    """What one agent process holds: its endpoints (v3) and tunnels (v2 shape), and its session."""

    def __init__(self, token, state):
        self.token = token
        self.state = Path(state) if state else None
        self.endpoints = {}
        self.lock = threading.Lock()
        self.public = None  # (scheme, port) of the public listener

    # The "ngrok cloud": one session per token.
    def session_file(self):
        digest = hashlib.sha256(self.token.encode()).hexdigest()[:16]
        return self.state / "sessions" / digest

    def claim_session(self):
        """Register this agent's session; False when another live agent holds the token's one."""
        if self.state is None:
            return True
        path = self.session_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError, ValueError):
            holder = int(path.read_text().strip())
            if holder != os.getpid() and alive(holder):
                return False
        path.write_text(str(os.getpid()))
        return True

    def release_session(self):
        if self.state is None:
            return
        with contextlib.suppress(OSError, ValueError):
            path = self.session_file()
            if int(path.read_text().strip()) == os.getpid():
                path.unlink()

    def add(self, body, shape):
        """Start an endpoint from the JSON pyngrok posted; return its record in `shape`."""
        name = body.get("name") or f"endpoint-{secrets.token_hex(4)}"
        if "upstream" in body:
            upstream = body["upstream"].get("url", "80")
        else:
            upstream = str(body.get("addr", "80"))
        if "://" not in upstream:
            upstream = (
                f"http://localhost:{upstream}" if upstream.isdigit() else f"http://{upstream}"
            )
        host = f"{secrets.token_hex(4)}-{secrets.token_hex(2)}.ngrok-free.app"
        record = {"name": name, "host": host, "upstream": upstream, "shape": shape}
        with self.lock:
            self.endpoints[name] = record
        if self.state is not None and self.public:
            routes = self.state / "routes"
            routes.mkdir(parents=True, exist_ok=True)
            (routes / host).write_text(str(self.public[1]))
        return self.render(record, shape)

    def render(self, record, shape):
        url = f"https://{record['host']}"
        if shape == "endpoints":
            return {
                "id": f"ep_{hashlib.sha256(record['name'].encode()).hexdigest()[:27]}",
                "name": record["name"],
                "uri": f"/api/endpoints/{record['name']}",
                "url": url,
                "upstream": {"url": record["upstream"], "protocol": "http1"},
                "metrics": {},
            }
        addr = record["upstream"]
        return {
            "name": record["name"],
            "ID": hashlib.sha256(record["name"].encode()).hexdigest()[:32],
            "uri": f"/api/tunnels/{record['name']}",
            "public_url": url,
            "proto": "https",
            "config": {"addr": addr, "inspect": True},
            "metrics": {},
        }

    def listing(self, shape):
        with self.lock:
            records = list(self.endpoints.values())
        return [self.render(r, shape) for r in records]

    def remove(self, name):
        with self.lock:
            record = self.endpoints.pop(name, None)
        if record and self.state is not None:
            with contextlib.suppress(FileNotFoundError):
                (self.state / "routes" / record["host"]).unlink()
        return record is not None

    def upstream_for(self, host):
        with self.lock:
            for record in self.endpoints.values():
                if record["host"] == host:
                    return record["upstream"]
        return None


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def api_handler(agent):
    """The agent API on 127.0.0.1 (JSON, no authentication, like the real one)."""

    class Api(BaseHTTPRequestHandler):
        def log_message(self, *args):  # the real agent logs requests at debug only
            pass

        def reply(self, status, data=None):
            body = b"" if data is None else json.dumps(data).encode()
            self.send_response(status)
            if data is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def not_found(self):
            self.reply(
                404,
                {"error_code": 100, "status_code": 404, "msg": "Not Found", "details": {}},
            )

        def route(self):
            parts = [p for p in urlsplit(self.path).path.split("/") if p]
            if len(parts) >= 2 and parts[0] == "api" and parts[1] in ("endpoints", "tunnels"):
                return parts[1], parts[2] if len(parts) > 2 else None
            return None, None

        def do_GET(self):
            shape, name = self.route()
            if shape is None:
                if urlsplit(self.path).path.rstrip("/") == "/api":
                    return self.reply(200, {"uri": "/api"})
                return self.not_found()
            if name is None:
                return self.reply(200, {shape: agent.listing(shape), "uri": f"/api/{shape}"})
            for item in agent.listing(shape):
                if item["name"] == name:
                    return self.reply(200, item)
            return self.not_found()

        def do_POST(self):
            shape, name = self.route()
            if shape is None or name is not None:
                return self.not_found()
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return self.reply(
                    400, {"error_code": 102, "status_code": 400, "msg": "Invalid JSON"}
                )
            record = agent.add(body, shape)
            log("info", "started tunnel", obj="tunnels", name=record["name"])
            self.reply(201, record)

        def do_DELETE(self):
            shape, name = self.route()
            if shape is None or name is None or not agent.remove(name):
                return self.not_found()
            self.reply(204)

    return Api


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


def public_handler(agent):
    """The public side: each request to https://<id>.ngrok-free.app goes to its upstream."""

    class Public(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def forward(self):
            host = (self.headers.get("Host") or "").split(":")[0]
            upstream = agent.upstream_for(host)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if upstream is None:  # ngrok's page for an endpoint that is offline
                text = f"The endpoint {host} is offline.\r\n\r\nERR_NGROK_3200\r\n".encode()
                self.send_response(404)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)
                return
            target = urlsplit(upstream)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["X-Forwarded-For"] = self.client_address[0]
            headers["X-Forwarded-Proto"] = "https"
            headers["X-Forwarded-Host"] = host
            connection = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=30)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
            except OSError:
                text = b"ngrok could not reach the upstream.\r\n\r\nERR_NGROK_8012\r\n"
                self.send_response(502)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)
                return
            finally:
                connection.close()
            self.send_response(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = forward

    return Public


def serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()


def fail(code, token):
    """The lines the agent prints when the service refuses its session, then exit 1."""
    err = "authentication failed: " + ERRORS[code].format(token=token) + f"\r\n\r\n{code}\r\n"
    log("eror", "failed to reconnect session", obj="tunnels.session", err=err)
    log("eror", "session closing", obj="tunnels.session", err=err)
    log("eror", "terminating with error", obj="app", err=err)
    log("crit", "command failed", err=err)
    sys.exit(1)


def add_authtoken(options):
    """`ngrok config add-authtoken TOKEN`: save it under agent.authtoken."""
    token = options["command"][2] if len(options["command"]) > 2 else ""
    path = (options["--config"] or [default_config_path()])[0]
    data = {}
    with contextlib.suppress(FileNotFoundError):
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    data.setdefault("version", "3")
    data.setdefault("agent", {})["authtoken"] = token
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(yaml.safe_dump(data), encoding="utf-8")
    print(f"Authtoken saved to configuration file: {path}")
    return 0


def start(options):
    """`ngrok start --none --log stdout ...`: the web service, the session, then wait."""
    config = read_config(options["--config"])
    agent_config = config.get("agent") or {}
    if str(config.get("version", "")) not in ("2", "3"):
        log("crit", "command failed", err="Invalid configuration property value for 'version'")
        return 1
    token = (
        options.get("--authtoken")
        or os.environ.get("NGROK_AUTHTOKEN")
        or agent_config.get("authtoken")
        or config.get("authtoken")
        or ""
    )
    agent = Agent(token, os.environ.get("NGROK_STANDIN_STATE"))

    cert, key = os.environ.get("NGROK_STANDIN_TLS_CERT"), os.environ.get("NGROK_STANDIN_TLS_KEY")
    public = ThreadingHTTPServer(("127.0.0.1", 0), public_handler(agent))
    if cert and key:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        public.socket = context.wrap_socket(public.socket, server_side=True)
        agent.public = ("https", public.server_address[1])
    serve(public)

    web_addr = str(agent_config.get("web_addr") or config.get("web_addr") or "127.0.0.1:0")
    host, _, port = web_addr.rpartition(":")
    api = ThreadingHTTPServer((host or "127.0.0.1", int(port or 0)), api_handler(agent))
    serve(api)
    addr = f"{api.server_address[0]}:{api.server_address[1]}"
    log("info", "starting web service", obj="web", addr=addr, allow_hosts="[]")

    if not token:
        fail("ERR_NGROK_4018", token)
    if not PROPER_TOKEN.fullmatch(token):
        fail("ERR_NGROK_105", token)
    revoked = [t for t in os.environ.get("NGROK_STANDIN_REVOKED", "").split(",") if t]
    if token in revoked:
        fail("ERR_NGROK_107", token)
    if not agent.claim_session():
        fail("ERR_NGROK_108", token)

    def stop(signum, frame):
        agent.release_session()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("info", "client session established", obj="tunnels.session")
    log("info", "tunnel session started", obj="tunnels.session")
    try:
        while True:
            time.sleep(3600)
    finally:
        agent.release_session()


def main(argv):
    options = parse(argv)
    command = options["command"]
    if command[:1] in (["--version"], ["version"]) or argv[:1] == ["--version"]:
        print(f"ngrok version {VERSION}")
        return 0
    if command[:2] == ["config", "add-authtoken"]:
        return add_authtoken(options)
    if command[:1] == ["start"]:
        return start(options)
    print(f"ERROR:  unknown command {' '.join(command)!r} (this is a test stand-in of ngrok)")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
