"""Carry one HTTP request to the webhook: in-process to a WSGI app, or over HTTP to a base URL.

Both return an HttpResponse, or a DeliveryError when no response came back:

- Over HTTP (``requests``): 10 s to connect and 15 s to answer, as Twilio waits; either timeout,
  and a refused connection, is error 11205 (HTTP connection failure), as Twilio reports it.
- In-process (werkzeug's test client, no socket): the call cannot be interrupted, so a reply that
  took longer than the read timeout is discarded afterwards and reported as 11205.
- An exception out of an in-process app (Flask propagates them when TESTING is on) is reported as
  11200, with the exception in the detail, as the 500 it would be in production.
- Redirects are never followed here; the simulator follows them itself.
- The URL goes on the wire as given (requests would otherwise re-quote it, e.g. turn ``%7E`` into
  ``~``), so the path and query the webhook reads are the ones that were signed.
"""

import time
from dataclasses import dataclass

from werkzeug.datastructures import Headers
from werkzeug.test import Client

from companion_app.simulator.errors import DeliveryError

#: Twilio waits this long for the webhook's answer (seconds).
READ_TIMEOUT = 15.0
#: Twilio waits this long to connect (seconds).
CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True)
class HttpResponse:
    """What the webhook answered: status code, headers (werkzeug Headers) and body bytes."""

    status: int
    headers: Headers
    body: bytes


class InProcessTransport:
    """Deliver requests to a WSGI app through werkzeug's test client (no cookie handling of its own)."""

    def __init__(self, app, timeout=READ_TIMEOUT):
        self._client = Client(app, use_cookies=False)
        self.timeout = timeout

    def send(self, method, path, query, headers, body):
        """Send one request; return an HttpResponse or a DeliveryError."""
        started = time.monotonic()
        try:
            target = path + (f"?{query}" if query else "")  # the raw URI, as a server passes it
            response = self._client.open(target, method=method, headers=headers, data=body)
            data = response.get_data()
            response.close()
        except Exception as exc:  # an app in TESTING mode raises instead of answering 500
            return DeliveryError(11200, f"the webhook raised {type(exc).__name__}: {exc}")
        elapsed = time.monotonic() - started
        if elapsed > self.timeout:
            return DeliveryError(
                11205, f"the webhook took {elapsed:.1f} s; Twilio waits {self.timeout:g} s"
            )
        return HttpResponse(response.status_code, Headers(response.headers), data)


class HttpTransport:
    """Deliver requests to a running server at base_url with `requests` (real HTTP)."""

    def __init__(self, base_url, timeout=READ_TIMEOUT, connect_timeout=CONNECT_TIMEOUT):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.connect_timeout = connect_timeout

    def send(self, method, path, query, headers, body):
        """Send one request; return an HttpResponse or a DeliveryError."""
        import requests  # here, not at the top: the in-process simulator runs where requests cannot

        url = self.base_url + path + (f"?{query}" if query else "")
        try:
            with requests.Session() as session:
                prepared = session.prepare_request(
                    requests.Request(method, url, headers=headers, data=body)
                )
                prepared.url = url  # requests re-quotes URLs; send the one that was signed
                response = session.send(
                    prepared, timeout=(self.connect_timeout, self.timeout), allow_redirects=False
                )
        except requests.Timeout:
            return DeliveryError(
                11205,
                f"no answer from {url} within {self.timeout:g} s (connect {self.connect_timeout:g} s)",
            )
        except requests.ConnectionError:
            return DeliveryError(11205, f"could not connect to {url}: is the server running?")
        except requests.RequestException as exc:
            return DeliveryError(11200, f"the request to {url} failed: {exc}")
        # requests folds repeated Set-Cookie headers into one; the raw headers keep them apart.
        raw = Headers(list(response.raw.headers.items()))
        return HttpResponse(response.status_code, raw, response.content)
