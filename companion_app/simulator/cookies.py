"""The cookie jar Twilio keeps for one From/To number pair.

What Twilio documents, and the simulator does:

- One jar per From/To pair; a cookie set for one pair is never sent for another.
- A cookie expires 4 hours after it was last set. ``Max-Age`` / ``Expires`` can make it expire
  sooner; a longer lifetime is capped at 4 hours. ``Max-Age=0`` (or negative) or an ``Expires`` date
  that has passed deletes it. A cookie is gone once the clock reaches its expiry time, so
  ``clock.advance(hours=4)`` after the last reply always starts afresh.
- A cookie with an empty name, or a tab, CR, LF, VT or FF in its name or value, is a protocol
  violation (error 11206).

What Twilio does not document, and the simulator chooses:

- Path, Domain, Secure, HttpOnly and SameSite are ignored: every cookie of the pair is sent to the
  webhook, whatever URL it has.
- Several cookies per pair are kept, by name, as a browser would (an older support article said only
  one is stored; Flask's session needs just one).
- Values are stored and sent back exactly as the server wrote them (no unquoting). Attributes are
  parsed with the standard library (``http.cookies``); ``Expires`` dates with ``werkzeug.http``.
- No size limit is applied.
- An ``Expires`` date is read as a lifetime on the *webhook's* clock: its distance from the webhook's
  current time (the response's ``Date`` header, else the real time) when the response arrives. A
  webhook dates its cookies with the real clock while the simulator may run on a FakeClock (Flask's
  permanent session sends only ``Expires``); with a SystemClock this is the same as comparing the
  date with now.
"""

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.cookies import CookieError, SimpleCookie

from werkzeug.http import parse_date

from companion_app.simulator.display import cookie_table, cookie_table_html
from companion_app.simulator.errors import DeliveryError

#: How long Twilio keeps a cookie after it was last set.
COOKIE_LIFETIME = timedelta(hours=4)

#: The control characters that make Twilio refuse a cookie (error 11206).
CONTROL_CHARACTERS = "\t\r\n\v\f"


@dataclass(frozen=True)
class StoredCookie:
    """One cookie in a jar: name, value as sent by the server, when it was set and when it expires."""

    name: str
    value: str
    set_at: datetime
    expires_at: datetime


def split_set_cookie(header):
    """(name, value, attributes) of a Set-Cookie header: the name=value pair raw, attributes parsed."""
    pair, _, attributes = header.partition(";")
    name, _, value = pair.partition("=")
    parsed = SimpleCookie()
    try:  # a placeholder pair, so a value SimpleCookie dislikes cannot hide the attributes
        parsed.load("x=x;" + attributes)
    except CookieError:
        return name.strip(), value.strip(), {}
    morsel = parsed.get("x")
    found = {key: morsel[key] for key in ("max-age", "expires") if morsel and morsel[key]}
    return name.strip(), value.strip(), found


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
    max_age = attributes.get("max-age")
    if max_age is not None:
        with suppress(ValueError):  # an unreadable Max-Age is ignored, as browsers do
            expires_at = min(expires_at, now + timedelta(seconds=int(max_age)))
    elif attributes.get("expires"):
        date = parse_date(attributes["expires"])
        if date is not None:
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
            if refusal(header):
                continue
            name, value, attributes = split_set_cookie(header)
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
