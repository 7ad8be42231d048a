"""A short, in-memory list of the webhook requests an app received, for learners to watch."""

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone


@dataclass(frozen=True)
class ReceivedRequest:
    """One webhook request as the app saw it (never the message body)."""

    time: datetime
    from_: str
    to: str
    count: int | None
    signature: str
    status: int


class RecentRequests:
    """The last few requests, newest last; safe to record from several server threads."""

    def __init__(self, size=20):
        self._items = deque(maxlen=size)
        self._lock = threading.Lock()

    def record(self, **fields):
        """Add one request."""
        fields.setdefault("time", datetime.now(timezone.utc))
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
