"""Requests signed by Twilio's CLI, `twilio webhook:invoke`, against the companion webhook on loopback.

The command comes from the @twilio-labs/plugin-webhook plugin of twilio-cli. What it sends
(plugin-webhook 0.1.1, src/utils/helpers.js and src/utils/webhook-events/sms.js):

- A sample incoming SMS: AccountSid, AddOns (JSON with quotes), ApiVersion, Body, From/To and their
  City/State/Zip/Country, MessageSid, SmsSid, SmsMessageSid, NumMedia, NumSegments,
  ReferralNumMedia, SmsStatus; `-d Name=value` replaces one (split at the first "=", not decoded).
  Headers: Content-Type application/x-www-form-urlencoded (on GET too), User-Agent TwilioProxy/1.1,
  I-Twilio-Idempotency-Token, X-Home-Region.
- The URL is parsed as a WHATWG URL; for GET every parameter is appended to its query with
  URLSearchParams, which re-serializes the whole query form-style (space as "+", "~" "'" "!" as
  %7E %27 %21, "?flag" as "?flag="). POST sends the parameters form-encoded in the body.
- It signs URL.toString() (and the POST parameters) with twilio-node's getExpectedTwilioSignature,
  using --auth-token or TWILIO_AUTH_TOKEN, which must be 32 characters; the account SID comes from
  the profile or TWILIO_ACCOUNT_SID. No call to Twilio is made, so made-up values work offline.
- axios sends URL.pathname + URL.search: an empty query ("…/sms?") and a fragment ("#ct=…") are
  signed but never sent.

The webhook accepts the empty-query case (the URL with and without "?"). It refuses a URL with a
fragment: the CLI signed characters the webhook never receives, and Twilio's own twilio.webhook()
middleware refuses it for the same reason. The plugin is not on the npm registry: point
TWILIO_WEBHOOK_PLUGIN at a checkout of github.com/twilio-labs/plugin-webhook with its
node_modules installed (`npm install --omit=dev`); twilio-cli itself comes from `make test-cli`.
Every case runs in one Node.js process per batch (tests/node-cli/webhook_invoke.js): one CLI start-up
per test instead of one per request. Modes: local, PUBLIC_URL and trusted proxy headers, each over
http:// and (when openssl is installed) https://.
"""

import contextlib
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from twilio.request_validator import RequestValidator

from companion_app import create_app
from companion_app.serving.server import LocalServer
from tests.support.values import SENDER

NODE_DIR = Path(__file__).resolve().parents[1] / "node-cli"
CLI_DIR = NODE_DIR / "node_modules" / "twilio-cli"
PLUGIN_NAME = "@twilio-labs/plugin-webhook"
#: The CLI refuses a token that is not 32 characters long.
CLI_TOKEN = "0123456789abcdef0123456789abcdef"
OTHER_TOKEN = "fedcba9876543210fedcba9876543210"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
#: The public address in PUBLIC_URL and proxy modes. The CLI reaches http:// through an HTTP proxy
#: (absolute-form request line) and https:// through a CONNECT tunnel that ends TLS on loopback
#: with a certificate made here by openssl and trusted through NODE_EXTRA_CA_CERTS.
PUBLIC_HOST = "sms.example.test"
GREETING = "Hello Rey, thanks for the message!"

#: Bodies with quotes, accents, emoji and the characters forms escape.
BODIES = ["it's me", "café", "🍪 cookies? 👋🏽", 'say "hi"', "1 + 1 = 2 & 100% sure", "a;b#c/d?e"]
#: Configured query strings: escapes, characters URLSearchParams re-encodes, an empty query.
QUERIES = ["", "?lang=fr", "?name=it%27s", "?city=caf%C3%A9", "?q=a%2Bb%26c%3Dd", "?t=%7e~!*()"]
QUERIES += ["?sp=a%20b c", "?flag", "?"]
MODES = ["local", "PUBLIC_URL", "proxy headers", "PUBLIC_URL https", "proxy headers https"]


def plugin_dir():
    """The plugin's folder: TWILIO_WEBHOOK_PLUGIN, else one installed next to twilio-cli."""
    chosen = os.environ.get("TWILIO_WEBHOOK_PLUGIN")
    folder = Path(chosen) if chosen else NODE_DIR / "node_modules" / PLUGIN_NAME
    try:
        name = json.loads((folder / "package.json").read_text())["name"]
    except (OSError, ValueError, KeyError):
        return None
    return folder if name == PLUGIN_NAME and (folder / "node_modules").is_dir() else None


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory):
    """A HOME for the CLI with only the plugin linked (no profile, no machine settings)."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: Twilio's CLI cannot run")
    if not (CLI_DIR / "package.json").exists():
        pytest.skip("twilio-cli is not in tests/node-cli/node_modules: run `make test-cli` (npm)")
    plugin = plugin_dir()
    if plugin is None:
        pytest.skip(
            f"{PLUGIN_NAME} (webhook:invoke) is not installed and is not on the npm registry: "
            "set TWILIO_WEBHOOK_PLUGIN to a checkout of github.com/twilio-labs/plugin-webhook "
            "with its node_modules (npm install --omit=dev)"
        )
    home = tmp_path_factory.mktemp("cli-home")
    linked = {"type": "link", "name": PLUGIN_NAME, "root": str(plugin.resolve())}
    user = {"private": True, "oclif": {"schema": 1, "plugins": [linked]}, "dependencies": {}}
    (home / ".twilio-cli").mkdir()
    (home / ".twilio-cli" / "package.json").write_text(json.dumps(user))
    return home


def recording(app, seen):
    """app, noting each request's raw target, public host and X-Twilio-Signature in seen."""

    def wsgi(environ, start_response):
        seen.append(
            {
                "target": environ.get("RAW_URI") or environ.get("REQUEST_URI"),
                "host": environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_HOST"),
                "signature": environ.get("HTTP_X_TWILIO_SIGNATURE"),
            }
        )
        return app(environ, start_response)

    return wsgi


def forward_proxy(backend):
    """A stand-in proxy: sends the target on verbatim to backend, adding X-Forwarded-*.

    An absolute-form target names the public URL; an origin-form one came through the TLS tunnel.
    """

    def wsgi(environ, start_response):
        target = urlsplit(environ["RAW_URI"])
        scheme, netloc = target.scheme or "https", target.netloc or environ["HTTP_HOST"]
        path = target.path + (f"?{target.query}" if "?" in environ["RAW_URI"] else "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        headers = {
            key[5:].replace("_", "-"): value
            for key, value in environ.items()
            if key.startswith("HTTP_") and key not in ("HTTP_HOST", "HTTP_PROXY_CONNECTION")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers["X-Forwarded-Proto"] = scheme
        headers["X-Forwarded-Host"] = netloc
        connection = http.client.HTTPConnection("127.0.0.1", backend.port, timeout=10)
        try:
            body = environ["wsgi.input"].read(length)
            connection.request(environ["REQUEST_METHOD"], path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() != "transfer-encoding"]
            start_response(f"{response.status} {response.reason}", kept)
            return [data]
        finally:
            connection.close()

    return wsgi


def relay(source, sink):
    """Copy bytes from source to sink until either side closes."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


class TlsTunnel:
    """A stand-in HTTPS proxy: answers CONNECT, ends TLS, relays the plain bytes to backend."""

    def __init__(self, context, backend):
        self.context, self.backend = context, backend
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        """Serve each CONNECT in a thread of its own, until stop()."""
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.tunnel, args=(client,), daemon=True).start()

    def tunnel(self, client):
        """One CONNECT: 200, the TLS handshake, then bytes both ways."""
        with client:
            client.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head and (chunk := client.recv(4096)):
                head += chunk
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            secure = self.context.wrap_socket(client, server_side=True)
            backend = socket.create_connection(("127.0.0.1", self.backend.port), timeout=10)
            threading.Thread(target=relay, args=(backend, secure), daemon=True).start()
            relay(secure, backend)

    def stop(self):
        """Stop accepting."""
        self.listener.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """(certificate, key) for PUBLIC_HOST, self-signed by openssl; None without openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", f"/CN={PUBLIC_HOST}"]
        + ["-addext", f"subjectAltName=DNS:{PUBLIC_HOST}"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture(scope="module")
def webhooks(cli_home, certificate):
    """{mode: (base URL the CLI calls, its extra environment, requests seen)}, on loopback."""
    config = {"TESTING": True, "SECRET_KEY": "k", "TWILIO_AUTH_TOKEN": CLI_TOKEN}
    seen = {mode: [] for mode in MODES}
    made, modes = [], {}
    for scheme in ("http", "https"):
        suffix = " https" if scheme == "https" else ""
        public = f"{scheme}://{PUBLIC_HOST}"
        direct = create_app(dict(config, PUBLIC_URL=public))
        trusting = create_app(dict(config, TRUST_PROXY_HEADERS=True))
        webhook = LocalServer(recording(direct, seen["PUBLIC_URL" + suffix]))
        behind = LocalServer(recording(trusting, seen["proxy headers" + suffix]))
        made += [webhook, behind]
        if scheme == "http":
            proxy = LocalServer(forward_proxy(behind))
            made.append(proxy)
            modes["PUBLIC_URL"] = (public, {"http_proxy": webhook.url}, seen["PUBLIC_URL"])
            modes["proxy headers"] = (public, {"http_proxy": proxy.url}, seen["proxy headers"])
        elif certificate:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*certificate)
            proxy = LocalServer(forward_proxy(behind))
            tunnels = [TlsTunnel(context, webhook), TlsTunnel(context, proxy)]
            made += [proxy, *tunnels]
            for mode, tunnel in zip(
                ("PUBLIC_URL https", "proxy headers https"), tunnels, strict=True
            ):
                modes[mode] = (public, {"https_proxy": tunnel.url}, seen[mode])
    local = LocalServer(recording(create_app(config), seen["local"]))
    made.append(local)
    modes["local"] = (local.url, {}, seen["local"])
    yield modes
    for server in made:
        server.stop()


def mode_for(webhooks, mode):
    """webhooks[mode], or a skip when it needs TLS and openssl is missing."""
    if mode not in webhooks:
        pytest.skip("openssl is not installed: no certificate for the HTTPS stand-in proxy")
    return webhooks[mode]


def invoke(home, cases, certificate=None):
    """Run `twilio webhook:invoke` for each (argv, env) case; return (status, text) pairs."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(
        HOME=str(home),
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=CLI_TOKEN,
        TWILIO_SKIP_NEW_VERSION_CHECK="true",
        TWILIO_DISABLE_AUTOUPDATE="true",
    )
    if certificate:
        env["NODE_EXTRA_CA_CERTS"] = str(certificate[0])
    batch = [{"argv": argv, "env": extra} for argv, extra in cases]
    done = subprocess.run(
        [shutil.which("node"), str(NODE_DIR / "webhook_invoke.js")],
        input=json.dumps({"cases": batch}),
        capture_output=True,
        text=True,
        env=env,
        cwd=NODE_DIR,
        timeout=120,
        check=True,
    )
    return [answer(result) for result in json.loads(done.stdout)]


def answer(result):
    """(HTTP status, reply body or the CLI's error) from what `webhook:invoke -i` printed."""
    head, _, body = result["output"].partition("\n\n")
    if head.startswith("HTTP/"):
        return int(head.split()[1]), body
    words = result["log"].split("status code ")
    status = int(words[1].split()[0]) if len(words) > 1 else None
    return status, result["log"] or result["error"]


def argv(url, method, body, token=None):
    """webhook:invoke's arguments for one message from SENDER, printing the status line (-i)."""
    flags = ["-X", method, "-d", f"Body={body}", "-d", f"From={SENDER}", "-i"]
    return [url, *flags] + ([f"--auth-token={token}"] if token else [])


@pytest.mark.parametrize("mode", MODES)
def test_every_cli_request_gets_the_counters_reply(cli_home, webhooks, certificate, mode):
    base, extra, _ = mode_for(webhooks, mode)
    table = [(m, q, b) for m in ("POST", "GET") for q in QUERIES for b in BODIES]
    cases = [(argv(f"{base}/sms{q}", m, b), extra) for m, q, b in table]
    results = invoke(cli_home, cases, certificate)
    wrong = [(case, got) for case, got in zip(table, results, strict=True) if got[0] != 200]
    assert wrong == [], f"{len(wrong)} of {len(table)} refused, e.g. {wrong[:3]!r}"
    assert all(GREETING in reply for _, reply in results)


@pytest.mark.parametrize("mode", MODES)
def test_a_cli_request_signed_with_another_token_is_refused(cli_home, webhooks, certificate, mode):
    base, extra, _ = mode_for(webhooks, mode)
    cases = [
        (argv(f"{base}/sms{q}", m, "hi", OTHER_TOKEN), extra)
        for m in ("POST", "GET")
        for q in ("", "?name=it%27s")
    ]
    assert [status for status, _ in invoke(cli_home, cases, certificate)] == [403] * 4


@pytest.mark.parametrize("mode", MODES)
def test_the_cli_signs_a_fragment_it_never_sends(cli_home, webhooks, certificate, mode):
    """Root cause of the one refusal left: twilio-python, given the URL the webhook received,
    reproduces the CLI's signature only with the fragment added back."""
    base, extra, seen = mode_for(webhooks, mode)
    fragment = "#ct=1000&rt=5000"
    before = len(seen)
    case = (argv(f"{base}/sms{fragment}", "GET", "hi"), extra)
    [(status, _)] = invoke(cli_home, [case], certificate)
    assert status == 403
    request = seen[before]
    received = f"{urlsplit(base).scheme}://{request['host']}{request['target']}"
    if request["target"].startswith("http"):  # an absolute-form target, from the HTTP proxy
        received = request["target"]
    validator = RequestValidator(CLI_TOKEN)
    assert "#" not in received
    assert validator.compute_signature(received + fragment, {}) == request["signature"]
    assert validator.compute_signature(received, {}) != request["signature"]
