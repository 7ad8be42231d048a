"""The cookie jar Twilio keeps for one From/To number pair.

What Twilio documents, and the simulator does:

- One jar per From/To pair; a cookie set for one pair is never sent for another.
- A cookie expires 4 hours after it was set (Twilio's current support article). Sending it back
  does not extend it: only a reply that sets it again restarts its 4 hours, so a cookie set once
  and never again is gone 4 hours later even if messages kept coming ("4 hours of inactivity", the
  older wording, is the same thing for Flask's session, which is set again on every reply).
  ``Max-Age`` / ``Expires`` can make it expire sooner; a longer lifetime is capped at 4 hours.
  A cookie is gone once the clock reaches its expiry time, so ``clock.advance(hours=4)`` after
  the last reply always starts afresh.
- A cookie with an empty name, or a tab, CR, LF, VT or FF in its name or value, is a protocol
  violation (error 11206).

``Set-Cookie`` is parsed as RFC 6265 §5.2 says a user agent parses it (not with
``http.cookies.SimpleCookie``, a server-side parser that stops at an attribute it does not know):
a header without ``=`` is ignored; name and value are split at the first ``=`` and trimmed;
attributes are ``;``-separated, matched case-insensitively, the last of a name wins, and an
unknown attribute (``Priority``, ``Partitioned``, ...) is skipped and parsing goes on. ``Max-Age``
counts only if it is an optional ``-`` and digits (else it is ignored and ``Expires`` applies);
``Max-Age`` <= 0 deletes; ``Max-Age`` wins over ``Expires``; an ``Expires`` date that cannot be
read is ignored.

What Twilio does not document, and the simulator chooses:

- Path, Domain, Secure, HttpOnly and SameSite are ignored: every cookie of the pair is sent to the
  webhook, whatever URL it has, over http:// too (the simulator often talks to a local http
  server standing for the public https URL Twilio calls).
- Several cookies per pair are kept, by name, as a browser would (an older support article said only
  one is stored; Flask's session needs just one).
- Values are stored and sent back exactly as the server wrote them (no unquoting).
- Size: a cookie whose name and value together exceed 4096 bytes is ignored, and the cookie of
  that name already in the jar stays, as browsers do (RFC 6265bis §5.6); Flask warns above 4093.
- An ``Expires`` date is read as a lifetime on the *webhook's* clock: its distance from the webhook's
  current time (the response's ``Date`` header, else the real time) when the response arrives. A
  webhook dates its cookies with the real clock while the simulator may run on a FakeClock (Flask's
  permanent session sends only ``Expires``); with a SystemClock this is the same as comparing the
  date with now.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.cookiejar import http2time

from werkzeug.http import parse_date

from companion_app.simulator.display import cookie_table, cookie_table_html
from companion_app.simulator.errors import DeliveryError

#: How long Twilio keeps a cookie after it was last set.
COOKIE_LIFETIME = timedelta(hours=4)

#: The largest name + value (bytes) a cookie may have; a larger one is ignored (RFC 6265bis §5.6).
MAX_COOKIE_SIZE = 4096

#: The control characters that make Twilio refuse a cookie (error 11206).
CONTROL_CHARACTERS = "\t\r\n\v\f"


@dataclass(frozen=True)
class StoredCookie:
    """One cookie in a jar: name, value as sent by the server, when it was set and when it expires."""

    name: str
    value: str
    set_at: datetime
    expires_at: datetime


def trim(text):
    """text without leading and trailing WSP (space and tab, RFC 5234), as RFC 6265 trims."""
    return text.strip(" \t")


def split_set_cookie(header):
    """(name, value, attributes) of a Set-Cookie header per RFC 6265 §5.2, or None to ignore it.

    The name=value pair is split at its first "=" and kept raw (trimmed); a header without "="
    is ignored. Attributes are ";"-separated, named case-insensitively (lower-cased keys), the
    last of each name wins; an attribute without "=" (Secure) has the value "". Unknown
    attributes are kept like the others and never stop the parsing.
    """
    pair, _, unparsed = header.partition(";")
    if "=" not in pair:
        return None
    name, _, value = pair.partition("=")
    attributes = {}
    for cookie_av in unparsed.split(";") if unparsed else ():
        key, _, attribute_value = cookie_av.partition("=")
        attributes[trim(key).lower()] = trim(attribute_value)
    return trim(name), trim(value), attributes


def max_age(value):
    """The seconds of a Max-Age value, or None when RFC 6265 §5.2.2 says to ignore it."""
    if not value or not (value[0].isdigit() or value[0] == "-"):
        return None
    digits = value[1:] if value[0] == "-" else value
    if not (digits.isascii() and digits.isdigit()):
        return None
    return int(value)


def expires_date(value):
    """The datetime of an Expires value (lenient, as browsers read it), or None if unreadable."""
    date = parse_date(value)
    if date is None:
        seconds = http2time(value)
        if seconds is None:
            return None
        date = datetime.fromtimestamp(seconds, timezone.utc)
    return date


def refusal(header):
    """The 11206 error for a Set-Cookie header Twilio would refuse, or None when it is acceptable."""
    pair = header.partition(";")[0]
    name = pair.partition("=")[0]
    if not name.strip():
        return DeliveryError(11206, f"Set-Cookie with an empty name: {header!r}")
    bad = sorted({repr(char) for char in pair if char in CONTROL_CHARACTERS})
    if bad:
        return DeliveryError(
            11206, f"Set-Cookie {name!r} contains the control character {', '.join(bad)}"
        )
    return None


def expiry(attributes, now, server_now=None):
    """When a cookie set now expires: 4 hours, or sooner as Max-Age/Expires say (None: delete now).

    server_now is the webhook's current time, against which an Expires date is measured
    (default: now).
    """
    expires_at = now + COOKIE_LIFETIME
    seconds = max_age(attributes.get("max-age"))
    date = expires_date(attributes["expires"]) if "expires" in attributes else None
    if seconds is not None:  # Max-Age wins over Expires (RFC 6265 §5.3, step 3)
        capped = min(max(seconds, 0), COOKIE_LIFETIME.total_seconds())  # no overflow on 10**30
        expires_at = min(expires_at, now + timedelta(seconds=capped))
    elif date is not None:
        server_now = now if server_now is None else server_now
        expires_at = min(expires_at, now + (date - server_now))
    return expires_at if expires_at > now else None


class CookieJar:
    """The cookies Twilio keeps for one From/To pair."""

    def __init__(self, clock):
        self._clock = clock
        self._cookies = {}

    def check(self, set_cookie_headers):
        """The 11206 error for the first Set-Cookie header Twilio would refuse, or None."""
        for header in set_cookie_headers:
            problem = refusal(header)
            if problem:
                return problem
        return None

    def store(self, set_cookie_headers, server_now=None):
        """Store (or delete) the cookies of Set-Cookie headers at the clock's time.

        server_now: the webhook's time when it answered, for Expires dates (default: the clock's).
        """
        now = self._clock.now()
        for header in set_cookie_headers:
            parsed = None if refusal(header) else split_set_cookie(header)
            if parsed is None:
                continue
            name, value, attributes = parsed
            if len(name.encode()) + len(value.encode()) > MAX_COOKIE_SIZE:
                continue
            expires_at = expiry(attributes, now, server_now)
            if expires_at is None:
                self._cookies.pop(name, None)
            else:
                self._cookies[name] = StoredCookie(name, value, now, expires_at)

    def put(self, name, value):
        """Store a cookie by hand, as if the webhook had set it now (e.g. to try a tampered value)."""
        now = self._clock.now()
        self._cookies[name] = StoredCookie(name, value, now, now + COOKIE_LIFETIME)

    def current(self):
        """The cookies that have not expired, in the order they were first set."""
        now = self._clock.now()
        for name in [n for n, c in self._cookies.items() if c.expires_at <= now]:
            del self._cookies[name]
        return list(self._cookies.values())

    def header(self):
        """The Cookie header to send now ('name=value; ...'), or None when the jar is empty."""
        cookies = self.current()
        return "; ".join(f"{c.name}={c.value}" for c in cookies) or None

    def get(self, name, default=None):
        """The value of a cookie that has not expired, or default."""
        return next((c.value for c in self.current() if c.name == name), default)

    def clear(self):
        """Forget every cookie (as if Twilio lost them: applications must survive that)."""
        self._cookies.clear()

    def __len__(self):
        return len(self.current())

    def __iter__(self):
        return iter(self.current())

    def __contains__(self, name):
        return any(c.name == name for c in self.current())

    def __str__(self):
        return cookie_table(self.current())

    def __repr__(self):
        names = ", ".join(c.name for c in self.current())
        return f"<CookieJar [{names}]>"

    def _repr_html_(self):
        return cookie_table_html(self.current())
