"""The network edge of going live, on 127.0.0.1: Twilio's REST API over HTTPS, a CONNECT proxy, a CA.

The real twilio SDK reaches `https://api.twilio.com` through its own HTTP client (requests), with
the standard `HTTPS_PROXY` (a CONNECT proxy here) and `REQUESTS_CA_BUNDLE` (a test CA made with
trustme): nothing in the SDK is patched. The proxy sends `api.twilio.com:443` to the HTTPS
stand-in below and `<id>.ngrok-free.app:443` to the ngrok agent stand-in that opened that endpoint
(tests/support/ngrok_agent.py writes its port under `routes/`); any other host is refused, so
nothing leaves 127.0.0.1.

The stand-in of Twilio's API is held to Twilio's own OpenAPI description (twilio-oai's
`twilio_api_v2010.json`, shipped in the npm package @twilio-alpha/mcp, installed by
`make twilio-oai` into tests/oai): every request the SDK sends is validated against it with
openapi-core, and so is every 2xx response the stand-in returns; a mismatch is recorded in
`TwilioAPI.violations` (the fixture fails the test) and answered 400. The description documents
no error bodies, so errors use Twilio's documented error JSON,
`{"code", "message", "more_info", "status"}` (twilio.com/docs/usage/twilios-response; codes
20003 Authenticate / 401, 20008 test credentials / 403, 20404 not found, 20429 too many requests,
20500 internal error), which is what twilio-python's `Version.exception` reads.
"""

import base64
import contextlib
import copy
import email.utils
import json
import os
import re
import select
import socket
import socketserver
import threading
from pathlib import Path
from urllib.parse import urlencode

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

# the same stop latency as the companion app's own servers
from companion_app.serving.server import POLL_INTERVAL

SPEC = (
    Path(__file__).resolve().parents[1]
    / "oai/node_modules/@twilio-alpha/mcp/twilio-oai/spec/json/twilio_api_v2010.json"
)
LIST = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"
ONE = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json"

#: Twilio's documented error codes, by HTTP status.
ERRORS = {
    400: (20001, "Invalid parameter"),
    401: (20003, "Authenticate"),
    403: (20008, "Resource not accessible with Test Account Credentials"),
    404: (20404, "The requested resource {path} was not found"),
    429: (20429, "Too Many Requests"),
    500: (20500, "An internal server error has occurred"),
    503: (20503, "Service unavailable"),
}


def spec_missing_reason():
    """None when Twilio's OpenAPI description is installed, else one sentence saying how to get it."""
    if SPEC.is_file():
        return None
    return (
        "Twilio's OpenAPI description is not installed (tests/oai/node_modules): run "
        "`make twilio-oai`, or without make `npm ci --prefix tests/oai --ignore-scripts`, to test "
        "against the real twilio SDK and pyngrok."
    )


def _rfc_2822(value):
    try:
        return email.utils.parsedate_to_datetime(value) is not None
    except (TypeError, ValueError):
        return False


#: Twilio's own formats in its description (not OpenAPI's), checked as its descriptions say:
#: a phone number in E.164 (a list filter may hold '*' for any digit), an HTTP method, a date as
#: in `date_created` ("Thu, 30 Jul 2015 23:19:04 +0000"), the capabilities object.
TWILIO_FORMATS = {
    "phone-number": lambda v: isinstance(v, str) and bool(re.fullmatch(r"\+?[0-9*]{1,16}", v)),
    "http-method": lambda v: v in {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"},
    "date-time-rfc-2822": lambda v: isinstance(v, str) and _rfc_2822(v),
    "phone-number-capabilities": lambda v: isinstance(v, dict),
    # Twilio's own examples give `uri`, `first_page_uri`, ... as paths ("/2010-04-01/..."): a
    # URI reference, not the absolute URI that JSON Schema's "uri" means.
    "uri": lambda v: isinstance(v, str) and bool(re.fullmatch(r"(https?://[^\s/]+)?/\S*", v)),
}

_openapi = None
_openapi_lock = threading.Lock()


def openapi():
    """openapi-core's view of the IncomingPhoneNumbers part of Twilio's 2010 API (built once)."""
    global _openapi
    with _openapi_lock:
        if _openapi is None:
            from openapi_core import Config, OpenAPI

            full = json.loads(SPEC.read_text(encoding="utf-8"))
            spec = {k: v for k, v in full.items() if k != "paths"}
            spec["paths"] = {path: full["paths"][path] for path in (LIST, ONE)}
            config = Config(extra_format_validators=TWILIO_FORMATS)
            _openapi = OpenAPI.from_dict(spec, config=config)
            example = full["paths"][ONE]["get"]["responses"]["200"]["content"]["application/json"][
                "examples"
            ]["fetch"]["value"]
            # Twilio's example holds "" where its own schema wants a SID or a URI; the schema
            # allows null there, so the stand-in says null.
            fields = full["components"]["schemas"]["api.v2010.account.incoming_phone_number"]
            _openapi.nullable = {k for k, v in fields["properties"].items() if v.get("nullable")}
            _openapi.example = {
                k: None if v == "" and k in _openapi.nullable else v for k, v in example.items()
            }
    return _openapi


def describe(errors):
    """openapi-core's errors with the schema's own words (which field, which rule)."""
    found = []
    for error in errors:
        detail = getattr(error, "schema_errors", None) or getattr(
            error.__cause__, "schema_errors", None
        )
        if detail:
            found += [f"{'/'.join(map(str, e.path))}: {e.message}" for e in detail]
        else:
            found.append(f"{error!r} {error.__cause__!r}")
    return "; ".join(found)


class TwilioAPI:
    """A Twilio account behind an HTTPS stand-in of api.twilio.com (IncomingPhoneNumbers only).

    `numbers` is the account's state; `fail` queues failures for the next calls:
    `fail.append(("update", 503))` answers the next update with 503 (Twilio down mid-restore).
    `test_credentials` is a (sid, token) pair that Twilio answers 403 (test credentials).
    """

    def __init__(self, account_sid, auth_token):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.test_credentials = None
        self.numbers = []
        self.fail = []
        self.calls = []
        self.violations = []
        self.lock = threading.Lock()
        self.server = None

    # --- the account -------------------------------------------------------------------------
    def add_number(self, phone_number, sid, sms_url, sms_method="POST"):
        """Put a number on the account, built on the example in Twilio's own description."""
        number = copy.deepcopy(openapi().example)
        number.update(
            account_sid=self.account_sid,
            phone_number=phone_number,
            friendly_name=phone_number,
            sid=sid,
            sms_url=sms_url or None,
            sms_method=sms_method,
            uri=f"/2010-04-01/Accounts/{self.account_sid}/IncomingPhoneNumbers/{sid}.json",
        )
        number["subresource_uris"]["assigned_add_ons"] = number["uri"].replace(
            ".json", "/AssignedAddOns.json"
        )
        self.numbers.append(number)
        return number

    def webhook(self, phone_number):
        """(sms_url, sms_method) of a number, as the account holds it now."""
        (number,) = [n for n in self.numbers if n["phone_number"] == phone_number]
        return number["sms_url"], number["sms_method"]

    # --- HTTP --------------------------------------------------------------------------------
    def error(self, status, path=""):
        code, message = ERRORS[status]
        body = {
            "code": code,
            "message": message.format(path=path),
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        return Response(json.dumps(body), status=status, content_type="application/json")

    def credentials(self, request):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        with contextlib.suppress(ValueError):
            sid, _, token = base64.b64decode(header[6:]).decode().partition(":")
            return sid, token
        return None

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.answer(request)
        return response(environ, start_response)

    def answer(self, request):
        from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse

        spec = openapi()
        wrapped = WerkzeugOpenAPIRequest(request)
        checked = spec.unmarshal_request(wrapped)
        operation = f"{request.method} {request.path}"
        with self.lock:
            self.calls.append((request.method, request.path, dict(request.values)))
        if checked.errors:
            self.violations.append(f"request {operation}: {describe(checked.errors)}")
            return self.error(404 if "PathNotFound" in repr(checked.errors) else 400, request.path)
        who = self.credentials(request)
        if who == self.test_credentials and who is not None:
            return self.error(403, request.path)
        if who != (self.account_sid, self.auth_token):
            return self.error(401, request.path)
        params = checked.parameters.path
        if params.get("AccountSid") != self.account_sid:
            return self.error(404, request.path)
        kind = "update" if request.method == "POST" else "fetch" if "Sid" in params else "list"
        with self.lock:
            queued = next((f for f in self.fail if f[0] == kind), None)
            if queued:
                self.fail.remove(queued)
        if queued:
            return self.error(queued[1], request.path)
        if kind == "list":
            response = self.list_page(request, checked.parameters.query)
        else:
            response = self.one(request, params["Sid"], checked.body if kind == "update" else None)
        if response.status_code < 300:
            result = spec.unmarshal_response(wrapped, WerkzeugOpenAPIResponse(response))
            if result.errors:
                self.violations.append(f"response {operation}: {describe(result.errors)}")
        return response

    def list_page(self, request, query):
        wanted = query.get("PhoneNumber")
        size = int(query.get("PageSize", 50))
        found = [n for n in self.numbers if wanted in (None, n["phone_number"])][:size]
        base = f"/2010-04-01/Accounts/{self.account_sid}/IncomingPhoneNumbers.json"
        first = {"PageSize": size, "Page": 0, **({"PhoneNumber": wanted} if wanted else {})}
        body = {
            "incoming_phone_numbers": found,
            "end": max(len(found) - 1, 0),
            "first_page_uri": f"{base}?{urlencode(first)}",
            "next_page_uri": None,
            "page": 0,
            "page_size": size,
            "previous_page_uri": None,
            "start": 0,
            "uri": f"{base}?{urlencode(first)}",
        }
        return Response(json.dumps(body), content_type="application/json")

    def one(self, request, sid, form):
        matching = [n for n in self.numbers if n["sid"] == sid]
        if not matching:
            return self.error(404, request.path)
        number = matching[0]
        if form:
            with self.lock:
                if "SmsUrl" in form:
                    number["sms_url"] = form["SmsUrl"] or None
                if "SmsMethod" in form:
                    number["sms_method"] = form["SmsMethod"]
        return Response(json.dumps(number), content_type="application/json")

    def start(self, cert_file, key_file):
        """Serve on a free 127.0.0.1 port over HTTPS; return the port."""
        openapi()  # build it before the first request (a few seconds)
        self.server = make_server(
            "127.0.0.1",
            0,
            self,
            threaded=True,
            ssl_context=(cert_file, key_file),
            request_handler=QuietHandler,
        )
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True
        ).start()
        return self.server.server_port

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()


class QuietHandler(WSGIRequestHandler):
    """werkzeug's handler without its request log (it would land in the test's output)."""

    def log_request(self, *args, **kwargs):
        pass


class ConnectProxy(socketserver.ThreadingTCPServer):
    """An HTTP CONNECT proxy that knows only the stand-ins' hosts (HTTPS_PROXY points here)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, routes, routes_dir):
        self.routes = routes  # "host:port" -> local port
        self.routes_dir = Path(routes_dir)
        self.refused = []
        super().__init__(("127.0.0.1", 0), ConnectHandler)

    def local_port(self, target):
        if target in self.routes:
            return self.routes[target]
        host, _, port = target.rpartition(":")
        route = self.routes_dir / host
        if port == "443" and host.endswith(".ngrok-free.app") and route.is_file():
            return int(route.read_text())
        return None


class ConnectHandler(socketserver.BaseRequestHandler):
    def handle(self):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        port = self.server.local_port(target) if method == "CONNECT" else None
        if port is None:
            self.server.refused.append(f"{method} {target}")
            self.request.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        pipe(self.request, upstream)


def pipe(one, other):
    """Copy bytes both ways until either side closes."""
    sockets = [one, other]
    try:
        while True:
            readable, _, _ = select.select(sockets, [], [], 30)
            if not readable:
                return
            for source in readable:
                data = source.recv(65536)
                if not data:
                    return
                (other if source is one else one).sendall(data)
    except OSError:
        return
    finally:
        other.close()


class Edge:
    """A CA, Twilio's API, the proxy, and the settings that send the real libraries to them."""

    def __init__(self, folder, account_sid, auth_token):
        import trustme

        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA()
        self.ca_file = self.folder / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        files = {}
        for name, host in (("twilio", "api.twilio.com"), ("ngrok", "*.ngrok-free.app")):
            cert = ca.issue_cert(host)
            files[name] = (self.folder / f"{name}-cert.pem", self.folder / f"{name}-key.pem")
            cert.cert_chain_pems[0].write_to_path(str(files[name][0]))
            for extra in cert.cert_chain_pems[1:]:
                extra.write_to_path(str(files[name][0]), append=True)
            cert.private_key_pem.write_to_path(str(files[name][1]))
        self.ngrok_files = files["ngrok"]
        self.ngrok_state = self.folder / "ngrok-cloud"
        (self.ngrok_state / "routes").mkdir(parents=True, exist_ok=True)
        self.twilio = TwilioAPI(account_sid, auth_token)
        port = self.twilio.start(*map(str, files["twilio"]))
        self.proxy = ConnectProxy({"api.twilio.com:443": port}, self.ngrok_state / "routes")
        threading.Thread(
            target=self.proxy.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True
        ).start()
        self.config_home = self.folder / "config"
        self.config_path = self.config_home / "ngrok" / "ngrok.yml"

    def environ(self):
        """The variables that send the real twilio SDK and pyngrok to the stand-ins."""
        proxy = f"http://127.0.0.1:{self.proxy.server_address[1]}"
        return {
            "HTTPS_PROXY": proxy,
            "https_proxy": proxy,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "REQUESTS_CA_BUNDLE": str(self.ca_file),
            "PYNGROK_NGROK_PATH": str(Path(__file__).with_name("ngrok")),
            "NGROK_STANDIN_PYTHON": os.environ.get("NGROK_STANDIN_PYTHON") or _python(),
            "NGROK_STANDIN_STATE": str(self.ngrok_state),
            "NGROK_STANDIN_TLS_CERT": str(self.ngrok_files[0]),
            "NGROK_STANDIN_TLS_KEY": str(self.ngrok_files[1]),
            "XDG_CONFIG_HOME": str(self.config_home),
        }

    def close(self):
        self.proxy.shutdown()
        self.proxy.server_close()
        self.twilio.stop()


def _python():
    import sys

    return sys.executable
