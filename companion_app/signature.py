"""Check that a webhook request really comes from Twilio (the X-Twilio-Signature header)."""

from flask import current_app, request
from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def signed_url():
    """The URL Twilio signed: PUBLIC_URL + path and query when configured, else the request URL.

    With TRUST_PROXY_HEADERS on, ProxyFix has already rebuilt the request URL from
    X-Forwarded-Proto / X-Forwarded-Host, so request.url is the public one.
    """
    public_url = current_app.config.get("PUBLIC_URL")
    if not public_url:
        return request.url
    query = request.query_string.decode("latin-1")
    return public_url.rstrip("/") + request.path + (f"?{query}" if query else "")


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
    if RequestValidator(token).validate(url, params, signature):
        return "valid", None
    return "invalid", (
        f"Invalid {SIGNATURE_HEADER} for {url}: the request was forged, or Twilio signed a "
        "different URL (set PUBLIC_URL to the public https address Twilio calls)."
    )
