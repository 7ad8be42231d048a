"""Check that a webhook request really comes from Twilio (the X-Twilio-Signature header)."""

from urllib.parse import quote, urlparse, urlsplit

from flask import current_app, request
from twilio.request_validator import RequestValidator, add_port, compare, remove_port

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


def signed_url():
    """The URL Twilio signed: PUBLIC_URL (else this request's scheme and host) + the raw URI.

    With TRUST_PROXY_HEADERS on, ProxyFix has already set the scheme and host from
    X-Forwarded-Proto / X-Forwarded-Host, so request.scheme and request.host are the public ones.
    """
    raw = raw_request_uri(request.environ)
    public_url = current_app.config.get("PUBLIC_URL")
    base = public_url.rstrip("/") if public_url else f"{request.scheme}://{request.host}"
    return base + raw


def shown_url(url):
    """The URL for a log line or an error reply: never its query string (GET puts the Body there)."""
    base, query = url.partition("?")[::2]
    return f"{base} (query string left out)" if query else base


def signature_matches(token, url, params, signature):
    """True when signature is Twilio's for url and params: the SDK's validate, one HMAC first.

    RequestValidator.validate always computes two HMACs (the URL with and without its default
    port). The variant that is the URL as it came is tried first, the other only when it fails,
    so the decision is validate's own.
    """
    validator = RequestValidator(token)
    try:
        parsed = urlparse(url)
        variants = (add_port, remove_port) if parsed.port else (remove_port, add_port)
    except ValueError:  # a port that is not a number (from a Host header): nothing Twilio signed
        return False
    return any(
        compare(validator.compute_signature(variant(parsed), params), signature)
        for variant in variants
    )


def check_signature():
    """Return (status, reason): ("valid"|"off", None) when the request may proceed, else ("…", why)."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if not token:
        return "off", None
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        return (
            "missing",
            f"Missing {SIGNATURE_HEADER} header: this request did not come from Twilio.",
        )
    params = request.form if request.method == "POST" else {}
    url = signed_url()
    if signature_matches(token, url, params, signature):
        return "valid", None
    return "invalid", (
        f"Invalid {SIGNATURE_HEADER} for {shown_url(url)}: the request was forged, or Twilio "
        "signed a different URL (set PUBLIC_URL to the public https address Twilio calls)."
    )
