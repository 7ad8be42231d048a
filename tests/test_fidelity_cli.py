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
node_modules installed (`npm install --omit=dev`); twilio-cli itself comes from `make node-oracle`.
Every case runs in one Node.js process per batch (tests/node/webhook_invoke.js).
"""

import http.client
import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from twilio.request_validator import RequestValidator

from companion_app import create_app
from companion_app.server import LocalServer
from tests.conftest import SENDER

NODE_DIR = Path(__file__).parent / "node"
CLI_DIR = NODE_DIR / "node_modules" / "twilio-cli"
PLUGIN_NAME = "@twilio-labs/plugin-webhook"
#: The CLI refuses a token that is not 32 characters long.
CLI_TOKEN = "0123456789abcdef0123456789abcdef"
OTHER_TOKEN = "fedcba9876543210fedcba9876543210"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
#: The public address in PUBLIC_URL and proxy modes; the CLI reaches it through an HTTP proxy.
PUBLIC = "http://sms.example.test"
GREETING = "Hello Rey, thanks for the message!"

#: Bodies with quotes, accents, emoji and the characters forms escape.
BODIES = ["it's me", "café", "🍪 cookies? 👋🏽", 'say "hi"', "1 + 1 = 2 & 100% sure", "a;b#c/d?e"]
#: Configured query strings: escapes, characters URLSearchParams re-encodes, an empty query.
QUERIES = ["", "?lang=fr", "?name=it%27s", "?city=caf%C3%A9", "?q=a%2Bb%26c%3Dd", "?t=%7e~!*()"]
QUERIES += ["?sp=a%20b c", "?flag", "?"]
MODES = ["local", "PUBLIC_URL", "proxy headers"]


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
        pytest.skip("twilio-cli is not in tests/node/node_modules: run `make node-oracle` (npm)")
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
    """A stand-in HTTP proxy: sends the absolute-form target on verbatim, adding X-Forwarded-*."""

    def wsgi(environ, start_response):
        target = urlsplit(environ["RAW_URI"])
        path = target.path + (f"?{target.query}" if "?" in environ["RAW_URI"] else "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        headers = {
            key[5:].replace("_", "-"): value
            for key, value in environ.items()
            if key.startswith("HTTP_") and key not in ("HTTP_HOST", "HTTP_PROXY_CONNECTION")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers["X-Forwarded-Proto"] = target.scheme
        headers["X-Forwarded-Host"] = target.netloc
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


@pytest.fixture(scope="module")
def webhooks(cli_home):
    """{mode: (base URL the CLI calls, proxy for it or None, requests seen)}, on loopback."""
    config = {"TESTING": True, "SECRET_KEY": "k", "TWILIO_AUTH_TOKEN": CLI_TOKEN}
    seen = {mode: [] for mode in MODES}
    local = LocalServer(recording(create_app(config), seen["local"]))
    public = LocalServer(recording(create_app(dict(config, PUBLIC_URL=PUBLIC)), seen["PUBLIC_URL"]))
    trusting = create_app(dict(config, TRUST_PROXY_HEADERS=True))
    behind = LocalServer(recording(trusting, seen["proxy headers"]))
    proxy = LocalServer(forward_proxy(behind))
    servers = [local, public, behind, proxy]
    yield {
        "local": (local.url, None, seen["local"]),
        "PUBLIC_URL": (PUBLIC, public.url, seen["PUBLIC_URL"]),
        "proxy headers": (PUBLIC, proxy.url, seen["proxy headers"]),
    }
    for server in servers:
        server.stop()


def invoke(home, cases):
    """Run `twilio webhook:invoke` for each (argv, proxy) case; return (status, text) pairs."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(
        HOME=str(home),
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=CLI_TOKEN,
        TWILIO_SKIP_NEW_VERSION_CHECK="true",
        TWILIO_DISABLE_AUTOUPDATE="true",
    )
    batch = [{"argv": argv, "env": {"http_proxy": proxy} if proxy else {}} for argv, proxy in cases]
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
def test_every_cli_request_gets_the_counters_reply(cli_home, webhooks, mode):
    base, proxy, _ = webhooks[mode]
    table = [(m, q, b) for m in ("POST", "GET") for q in QUERIES for b in BODIES]
    results = invoke(cli_home, [(argv(f"{base}/sms{q}", m, b), proxy) for m, q, b in table])
    wrong = [(case, got) for case, got in zip(table, results, strict=True) if got[0] != 200]
    assert wrong == [], f"{len(wrong)} of {len(table)} refused, e.g. {wrong[:3]!r}"
    assert all(GREETING in reply for _, reply in results)


@pytest.mark.parametrize("mode", MODES)
def test_a_cli_request_signed_with_another_token_is_refused(cli_home, webhooks, mode):
    base, proxy, _ = webhooks[mode]
    cases = [
        (argv(f"{base}/sms{q}", m, "hi", OTHER_TOKEN), proxy)
        for m in ("POST", "GET")
        for q in ("", "?name=it%27s")
    ]
    assert [status for status, _ in invoke(cli_home, cases)] == [403] * 4


@pytest.mark.parametrize("mode", MODES)
def test_the_cli_signs_a_fragment_it_never_sends(cli_home, webhooks, mode):
    """Root cause of the one refusal left: twilio-python, given the URL the webhook received,
    reproduces the CLI's signature only with the fragment added back."""
    base, proxy, seen = webhooks[mode]
    fragment = "#ct=1000&rt=5000"
    before = len(seen)
    [(status, _)] = invoke(cli_home, [(argv(f"{base}/sms{fragment}", "GET", "hi"), proxy)])
    assert status == 403
    request = seen[before]
    received = f"{urlsplit(base).scheme}://{request['host']}{request['target']}"
    if request["target"].startswith("http"):  # an absolute-form target, from the HTTP proxy
        received = request["target"]
    validator = RequestValidator(CLI_TOKEN)
    assert "#" not in received
    assert validator.compute_signature(received + fragment, {}) == request["signature"]
    assert validator.compute_signature(received, {}) != request["signature"]
