"""Check that a webhook request really comes from Twilio (the X-Twilio-Signature header)."""

from urllib.parse import quote, urlsplit

from flask import current_app, request
from twilio.request_validator import (
    HMAC_SHA1,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    compare,
    get_signature_algorithm,
)

SIGNATURE_HEADER = "X-Twilio-Signature"

#: Characters a path keeps unescaped when the server did not pass the raw request URI on.
PATH_SAFE = "/:@!$&'()*+,;=~"


def raw_request_uri(environ):
    """The path and query exactly as they arrived on the wire, percent-encoding included.

    werkzeug's server and test client and gunicorn pass the raw URI on (RAW_URI or REQUEST_URI);
    elsewhere it is rebuilt from PATH_INFO (re-encoded) and QUERY_STRING (raw by WSGI's rules).
    """
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        raw = raw.encode("latin-1").decode("utf-8", "replace")
        if not raw.startswith("/"):  # an absolute-form request line: keep its path and query
            parts = urlsplit(raw)
            raw = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        query = environ.get("QUERY_STRING", "")
        if "?" not in raw and query:  # werkzeug's test client given query_string= apart
            raw += f"?{query}"
        return raw
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    path = quote(path.encode("latin-1"), safe=PATH_SAFE) or "/"
    query = environ.get("QUERY_STRING", "")
    return path + (f"?{query}" if query else "")


def signed_url(req, config):
    """The URL Twilio signed: PUBLIC_URL (else the request's scheme and host) + the raw URI.

    With TRUST_PROXY_HEADERS on, ProxyFix has already set the scheme and host from
    X-Forwarded-Proto / X-Forwarded-Host, so req.scheme and req.host are the public ones.
    """
    raw = raw_request_uri(req.environ)
    public_url = config.get("PUBLIC_URL")
    base = public_url.rstrip("/") if public_url else f"{req.scheme}://{req.host}"
    return base + raw


def url_variants(url):
    """url, then the same URL with or without an empty query ("?"), which no client sends on.

    An HTTP client drops a "?" with nothing after it from the request line (WHATWG URL's search
    is "" then), yet a signer may have signed the URL with it: Twilio's CLI (webhook:invoke) signs
    "https://host/sms?" and sends "/sms". Both name the same resource, so both are tried.
    """
    base, mark, query = url.partition("?")
    if query:
        return (url,)
    return (url, base) if mark else (url, url + "?")


def shown_url(url):
    """The URL for a log line or an error reply: never its query string (GET puts the Body there)."""
    base, query = url.partition("?")[::2]
    return f"{base} (query string left out)" if query else base


class FormValues:
    """A form as RequestValidator reads it fastest: its names, and each name's values via getall.

    The SDK asks for getall(), then getlist(), then [name], each miss an exception; werkzeug's
    MultiDict has only getlist, which costs two exceptions per parameter. Same values, same order.
    """

    __slots__ = ("form",)

    def __init__(self, form):
        self.form = form

    def __len__(self):
        return len(self.form)

    def __iter__(self):
        return iter(self.form)

    def getall(self, name):
        """Every value sent for name."""
        return self.form.getlist(name)


def signature_matches(secret, url, params, signature, algorithm=HMAC_SHA1):
    """True when signature is Twilio's for url and params: the SDK's signature, one HMAC first.

    The URL exactly as it arrived is what Twilio signed, so it is tried first (one HMAC). Only when
    that fails does RequestValidator.validate try it with and without the default port.
    """
    validator = RequestValidator(secret)
    if compare(validator.compute_signature(url, params, algorithm), signature):
        return True
    try:
        return validator.validate(url, params, signature, algorithm)
    except ValueError:  # a port that is not a number (from a Host header): nothing Twilio signed
        return False


def signing_secret(req, config):
    """(secret, algorithm, None) Twilio signed this request with, else (None, None, why not).

    Twilio signs with the Auth Token and HMAC-SHA1, unless a Webhooks Rule gives the URL a
    SharedKey: then it adds X-Twilio-Webhooks-Signature-Settings (key=…,algorithm=…) and signs with
    the SharedKey's secret and that algorithm (the SDK reads the header: get_signature_algorithm).
    """
    settings = req.headers.get(SIGNATURE_SETTINGS_HEADER)
    if settings is None:
        return config["TWILIO_AUTH_TOKEN"], HMAC_SHA1, None
    algorithm = get_signature_algorithm(settings)
    shared_key = config.get("TWILIO_WEBHOOK_SHARED_KEY")
    if not shared_key:
        return (
            None,
            None,
            (
                f"This request is signed with a Webhooks SharedKey ({SIGNATURE_SETTINGS_HEADER}), "
                "but TWILIO_WEBHOOK_SHARED_KEY is not set: put the SharedKey's secret there."
            ),
        )
    try:
        RequestValidator(shared_key).compute_signature("", {}, algorithm)
    except ValueError:
        return (
            None,
            None,
            (
                f"Unsupported signature algorithm {algorithm!r} in {SIGNATURE_SETTINGS_HEADER}: "
                "upgrade the twilio package."
            ),
        )
    return shared_key, algorithm, None


def check_signature():
    """Return (status, reason): ("valid"|"off", None) when the request may proceed, else ("…", why)."""
    config = current_app.config
    token = config.get("TWILIO_AUTH_TOKEN")
    if not token:
        return "off", None
    req = request._get_current_object()  # one look-up of the request, not one per attribute
    signature = req.headers.get(SIGNATURE_HEADER)
    if not signature:
        return (
            "missing",
            f"Missing {SIGNATURE_HEADER} header: this request did not come from Twilio.",
        )
    secret, algorithm, why_not = signing_secret(req, config)
    if why_not:
        return "invalid", why_not
    params = FormValues(req.form) if req.method == "POST" else {}
    url = signed_url(req, config)
    if any(signature_matches(secret, u, params, signature, algorithm) for u in url_variants(url)):
        return "valid", None
    return "invalid", (
        f"Invalid {SIGNATURE_HEADER} for {shown_url(url)}: the request was forged, or Twilio "
        "signed a different URL (set PUBLIC_URL to the public https address Twilio calls)."
    )
