"""TwilioSimulator: deliver text messages to a webhook the way Twilio's Messaging does.

Choices where Twilio documents nothing (each one is tested):

- The target is a WSGI app (in-process, no socket) or a base URL such as "http://127.0.0.1:5000"
  (real HTTP). The request path and query come from webhook_url; the signature is computed over the
  PUBLIC webhook_url, as Twilio signs the URL it was configured with. In-process, the app sees the
  request at http://localhost/<path> (as behind a tunnel); tunnel_headers=True adds the
  X-Forwarded-Proto/X-Forwarded-Host headers ngrok adds.
- The URL is signed exactly as it goes on the wire: characters a URL cannot carry are
  percent-encoded first (see wire_url), and for GET Twilio's parameters are appended, form-encoded,
  to the configured query string, which is kept as written.
- A fragment in webhook_url (Twilio's connection overrides, "#ct=…&rt=…&rc=…") is neither sent
  nor signed: the signature covers the URL as it is requested, the URL a webhook can rebuild.
  Twilio documents no rule; its own twilio.webhook() middleware validates protocol + host + the
  path and query the server received, and a fragment never reaches a server. (Twilio's CLI,
  webhook:invoke, does sign the fragment, so its requests to such a URL are refused.) The
  overrides' values are not applied: use timeout= / connect_timeout=.
- A message with media gets an MM SID, a text-only one an SM SID (Twilio's SID glossary).
- auth_token=None: no X-Twilio-Signature header is sent (a webhook that checks will answer 403).
- shared_key="secret" signs as a Webhooks Rule with a SharedKey does: with that secret and
  signature_algorithm (HMAC_SHA256 by default), adding X-Twilio-Webhooks-Signature-Settings
  (key=<a made-up KS… id>,algorithm=…). It takes the place of auth_token for signing.
- An HTTP status of 400 or more is error 11200 and nothing is sent; cookies that error response set
  are NOT stored (a failed delivery leaves the conversation's jar as it was).
- A response with a refused cookie (11206) is rejected as a whole: no reply, no cookie stored.
- Redirects 301/302/303 are followed with GET, 307/308 with the same method; Twilio's parameters are
  sent again on every hop (in the query string for GET) and every hop is signed for its own URL.
  Cookies set on a redirect response are stored and sent on the next hop. The Location is resolved
  against the current URL and fetched from the same target. More than 10 redirects: 11215.
- 204 No Content (any 2xx with status 204) means no reply, whatever the Content-Type.
- <Redirect method="..."> is fetched with GET when it says GET, else with POST.
- TwiML is run verb by verb: messages before a failing <Redirect> were already sent, so a delivery
  can carry replies and an error. A reply session fetches at most 50 documents (14106 after that).
- A Body longer than 1600 characters is a programming error (ValueError): a phone cannot send it.
- Two messages "delivered together" both carry the cookies the jar held before either was sent; their
  responses are applied in order, so the jar ends with the last one (the lost update).
"""

from datetime import datetime, timezone
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from twilio.request_validator import HMAC_SHA256, SIGNATURE_SETTINGS_HEADER, RequestValidator
from urllib3.util import parse_url
from werkzeug.http import parse_date, parse_options_header

from companion_app.serving.inprocess import app_at
from companion_app.simulator.clock import FakeClock
from companion_app.simulator.conversation import Conversation, Delivery, SentRequest
from companion_app.simulator.errors import DeliveryError
from companion_app.simulator.params import MAX_BODY, message_params
from companion_app.simulator.sids import SidMaker
from companion_app.simulator.transport import (
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    HttpTransport,
    InProcessTransport,
)
from companion_app.simulator.twiml import Redirect, Reply, read_twiml

#: The webhook URL used when none is given for an in-process app.
DEFAULT_WEBHOOK_URL = "https://example.ngrok.app/sms"
#: Twilio's User-Agent on webhook requests.
USER_AGENT = "TwilioProxy/1.1"
#: A reply body larger than this is refused (11750).
MAX_RESPONSE_BYTES = 64 * 1024
#: Redirect statuses Twilio follows; the rest of 3xx is a failure.
REDIRECTS = (301, 302, 303, 307, 308)
#: How many HTTP redirects in a row are followed before 11215.
MAX_REDIRECTS = 10
#: How many TwiML documents one reply session may fetch before 14106.
MAX_DOCUMENTS = 50
#: Stands for "the cookies in the jar now" where a cookie snapshot could be given.
FROM_JAR = object()
#: The content types read as TwiML.
TWIML_TYPES = ("text/xml", "application/xml", "text/html")


def wire_url(url):
    """url as an HTTP client puts it on the wire: characters a URL cannot carry percent-encoded.

    urllib3 (under requests) sends a path and query with spaces, non-ASCII letters or brackets
    encoded and lower-case escapes upper-cased; the same string is signed, and handed to the
    in-process app, so the signature always covers the bytes the webhook receives.
    """
    parts = urlsplit(url)
    target = parse_url(urlunsplit(("", "", parts.path, parts.query, "")))
    return urlunsplit(parts._replace(path=target.path or "", query=target.query or ""))


class TwilioSimulator:
    """Twilio's side of SMS conversations with one webhook: signed requests, cookie jars, TwiML."""

    def __init__(
        self,
        target,
        webhook_url=None,
        auth_token=None,
        clock=None,
        seed=0,
        method="POST",
        timeout=READ_TIMEOUT,
        connect_timeout=CONNECT_TIMEOUT,
        messaging_service=False,
        tunnel_headers=False,
        shared_key=None,
        signature_algorithm=HMAC_SHA256,
    ):
        method = method.upper()
        if method not in ("POST", "GET"):
            raise ValueError(f"method must be 'POST' or 'GET', not {method!r}")
        if isinstance(target, str):
            app = app_at(target)  # a server in the browser answers in-process
            self.transport = (
                InProcessTransport(app, timeout)
                if app is not None
                else HttpTransport(target, timeout, connect_timeout)
            )
            webhook_url = webhook_url or target.rstrip("/") + "/sms"
        else:
            self.transport = InProcessTransport(target, timeout)
            webhook_url = webhook_url or DEFAULT_WEBHOOK_URL
        self.webhook_url = webhook_url
        self.auth_token = auth_token
        self.shared_key = shared_key
        self.signature_algorithm = signature_algorithm
        self.clock = clock if clock is not None else FakeClock()
        self.method = method
        self.tunnel_headers = tunnel_headers
        self._sids = SidMaker(seed)
        self.account_sid = self._sids.new("AC")
        service_sid = self._sids.new("MG")
        self.service_sid = service_sid if messaging_service else None
        self.shared_key_sid = self._sids.new("KS") if shared_key else None
        self._conversations = {}

    @property
    def conversations(self):
        """Every conversation started so far, in order."""
        return list(self._conversations.values())

    def conversation(self, from_, to):
        """The conversation of a From/To pair (the same pair always gives the same one, and jar)."""
        key = (from_, to)
        if key not in self._conversations:
            self._conversations[key] = Conversation(self, from_, to)
        return self._conversations[key]

    def deliver_together(self, conversation, bodies):
        """Deliver several messages of one pair at the same moment: all carry the same cookies."""
        snapshot = conversation.cookies.header()
        return [self._deliver(conversation, body, (), cookie_header=snapshot) for body in bodies]

    def transcript(self):
        """All conversations' transcripts, one after the other."""
        return "\n\n".join(c.transcript() for c in self._conversations.values())

    def signature(self, url, params):
        """The X-Twilio-Signature of a request, computed with the twilio SDK."""
        if self.shared_key:
            validator = RequestValidator(self.shared_key)
            return validator.compute_signature(url, params, self.signature_algorithm)
        return RequestValidator(self.auth_token).compute_signature(url, params)

    def build_request(self, method, url, params, cookie_header):
        """(SentRequest, path, query, body) for one hop: GET puts params in the query string.

        The URL is signed exactly as it goes on the wire (see wire_url), without its fragment; GET
        appends Twilio's parameters, form-encoded, to the configured query string, kept as it was.
        """
        parts = urlsplit(wire_url(url))._replace(fragment="")
        headers = {"User-Agent": USER_AGENT}
        if method == "GET":
            query = "&".join(q for q in (parts.query, urlencode(params)) if q)
            body, signed_params = None, {}
        else:
            query = parts.query
            body, signed_params = urlencode(params), params
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        url = urlunsplit(parts._replace(query=query))
        if self.shared_key:
            headers[SIGNATURE_SETTINGS_HEADER] = (
                f"key={self.shared_key_sid},algorithm={self.signature_algorithm}"
            )
        if self.auth_token or self.shared_key:
            headers["X-Twilio-Signature"] = self.signature(url, signed_params)
        if cookie_header:
            headers["Cookie"] = cookie_header
        if self.tunnel_headers:
            headers["X-Forwarded-Proto"] = parts.scheme
            headers["X-Forwarded-Host"] = parts.netloc
        sent = SentRequest(method, url, dict(params), headers)
        return sent, parts.path or "/", query, body

    def _deliver(self, conv, body, media, cookie_header=FROM_JAR):
        """Deliver one message and read the replies; every failure ends as delivery.error."""
        if not isinstance(body, str):
            raise TypeError(f"body must be a str, not {type(body).__name__}")
        if len(body) > MAX_BODY:
            raise ValueError(f"a message body is at most {MAX_BODY} characters, not {len(body)}")
        sid = self._sids.new("MM" if media else "SM")
        delivery = Delivery(conv.from_, conv.to, body, media, self.clock.now(), sid)
        conv.deliveries.append(delivery)
        params = message_params(
            sid=sid,
            account_sid=self.account_sid,
            service_sid=self.service_sid,
            from_=conv.from_,
            to=conv.to,
            body=body,
            media=media,
        )
        url, method = self.webhook_url, self.method
        for documents in range(1, MAX_DOCUMENTS + 2):
            if documents > MAX_DOCUMENTS:
                delivery.error = DeliveryError(
                    14106, f"the reply session asked for more than {MAX_DOCUMENTS} TwiML documents"
                )
                break
            response, url = self._fetch(conv, delivery, method, url, params, cookie_header)
            cookie_header = FROM_JAR  # only the first request uses a snapshot
            if isinstance(response, DeliveryError):
                delivery.error = response
                break
            verbs, delivery.error = self._read(response, conv)
            redirect = None
            for verb in verbs:
                if isinstance(verb, Reply):
                    delivery.replies.append(verb)
                elif isinstance(verb, Redirect):
                    redirect = verb
            if delivery.error is not None or redirect is None:
                break
            url = urljoin(url, redirect.url)
            method = "GET" if redirect.method.upper() == "GET" else "POST"
        return delivery

    def _fetch(self, conv, delivery, method, url, params, cookie_header):
        """(HttpResponse or DeliveryError, final URL): one document, following HTTP redirects."""
        for _hop in range(MAX_REDIRECTS + 1):
            header = conv.cookies.header() if cookie_header is FROM_JAR else cookie_header
            cookie_header = FROM_JAR
            sent, path, query, body = self.build_request(method, url, params, header)
            delivery.requests.append(sent)
            response = self.transport.send(method, path, query, sent.headers, body)
            if isinstance(response, DeliveryError):
                return response, url
            delivery.http_status = response.status
            delivery.http_headers = response.headers
            if response.status >= 400:
                return DeliveryError(11200, f"the webhook answered HTTP {response.status}"), url
            set_cookies = response.headers.getlist("Set-Cookie")
            refused = conv.cookies.check(set_cookies)
            if refused:
                return refused, url
            server_now = parse_date(response.headers.get("Date")) or datetime.now(timezone.utc)
            if response.status in REDIRECTS:
                conv.cookies.store(set_cookies, server_now)
                location = response.headers.get("Location")
                if not location:
                    return DeliveryError(
                        11216, f"HTTP {response.status} redirect without a Location header"
                    ), url
                url = urljoin(url, location)
                if response.status in (301, 302, 303):
                    method = "GET"
                continue
            if not 200 <= response.status < 300:
                return DeliveryError(11200, f"the webhook answered HTTP {response.status}"), url
            conv.cookies.store(set_cookies, server_now)
            return response, url
        return DeliveryError(11215, f"more than {MAX_REDIRECTS} redirects in a row"), url

    def _read(self, response, conv):
        """(verbs, error) of a successful response: TwiML, plain text, or an error."""
        if len(response.body) > MAX_RESPONSE_BYTES:
            return [], DeliveryError(
                11750,
                f"the reply is {len(response.body)} bytes; Twilio accepts {MAX_RESPONSE_BYTES}",
            )
        if response.status == 204:
            return [], None
        mimetype, options = parse_options_header(response.headers.get("Content-Type", ""))
        mimetype = mimetype.lower()
        if mimetype in TWIML_TYPES:
            return read_twiml(response.body, to=conv.from_, from_=conv.to)
        if mimetype == "text/plain":
            text = response.body.decode(options.get("charset", "utf-8"), errors="replace").strip()
            return ([Reply(text, (), conv.from_, conv.to)] if text else []), None
        shown = mimetype or "no Content-Type"
        return [], DeliveryError(
            12300, f"the reply has {shown}; Twilio reads XML, HTML or text/plain"
        )
