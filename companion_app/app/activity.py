"""A short, in-memory list of the webhook requests an app received, for learners to watch."""

import threading
from collections import deque
from datetime import datetime, timezone
from typing import NamedTuple

from companion_app.serving.printable import printable

#: The most requests a list keeps, whatever size it is asked for.
MAX_SIZE = 1000

#: The most characters of a From or To kept (an E.164 number has at most 16).
FIELD_LENGTH = 40


class ReceivedRequest(NamedTuple):
    """One webhook request as the app saw it (never the message body)."""

    time: datetime
    from_: str
    to: str
    count: int | None
    signature: str
    status: int


def shown(text):
    """A From or To as the list keeps it: control characters escaped, at most FIELD_LENGTH long."""
    text = printable(text)
    return text if len(text) <= FIELD_LENGTH else text[: FIELD_LENGTH - 3] + "..."


class RecentRequests:
    """The last few requests (at most MAX_SIZE), newest last; safe to record from several threads."""

    def __init__(self, size=20):
        if type(size) is not int or size < 1:
            raise ValueError(f"RECENT_REQUESTS must be a whole number from 1 to {MAX_SIZE}.")
        self._items = deque(maxlen=min(size, MAX_SIZE))
        self._lock = threading.Lock()

    def record(self, **fields):
        """Add one request (From and To made printable and short)."""
        fields.setdefault("time", datetime.now(timezone.utc))
        fields["from_"] = shown(fields["from_"])
        fields["to"] = shown(fields["to"])
        with self._lock:
            self._items.append(ReceivedRequest(**fields))

    def __iter__(self):
        with self._lock:
            return iter(list(self._items))

    def __len__(self):
        return len(self._items)

    def table(self, limit=10):
        """Plain-text table of the last `limit` requests."""
        rows = list(self)[-limit:]
        if not rows:
            return "No requests received yet."
        lines = [f"{'time UTC':<8}  {'from':<13} {'to':<13} {'count':>5}  signature  status"]
        for r in rows:
            count = "-" if r.count is None else str(r.count)
            lines.append(
                f"{r.time:%H:%M:%S}  {r.from_:<13} {r.to:<13} {count:>5}  {r.signature:<9}  {r.status}"
            )
        return "\n".join(lines)
