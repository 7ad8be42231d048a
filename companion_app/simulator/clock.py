"""Clocks: the simulator asks a clock for the time, so "four hours later" is one call, not a sleep."""

from datetime import datetime, timedelta, timezone

#: Where a FakeClock starts unless told otherwise: Monday 6 January 2025, 09:00 UTC.
DEFAULT_START = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)


class FakeClock:
    """A clock that only moves when told to (deterministic notebooks and tests)."""

    def __init__(self, start=None):
        start = DEFAULT_START if start is None else start
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start, e.g. tzinfo=timezone.utc")
        self._now = start

    def now(self):
        """The current (fake) time, timezone-aware."""
        return self._now

    def advance(self, **kwargs):
        """Move the clock forward by timedelta(**kwargs), e.g. advance(hours=4); return the new time."""
        step = timedelta(**kwargs)
        if step < timedelta(0):
            raise ValueError("a clock only moves forward")
        self._now += step
        return self._now

    def __repr__(self):
        return f"<FakeClock {self._now.isoformat()}>"


class SystemClock:
    """The real time in UTC, for live use; advance() is not possible."""

    def now(self):
        """The current time, timezone-aware (UTC)."""
        return datetime.now(timezone.utc)

    def advance(self, **kwargs):
        """Refuse: real time cannot be moved (use FakeClock)."""
        raise TypeError("SystemClock cannot be advanced: use FakeClock to move time")

    def __repr__(self):
        return "<SystemClock>"
