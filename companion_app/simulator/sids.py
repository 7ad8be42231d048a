"""Twilio-style SIDs: a two-letter prefix and 32 hexadecimal digits, deterministic from a seed."""

import random

#: SID prefixes the simulator makes (Twilio's SID glossary): SMS, MMS (a message with media),
#: accounts, messaging services.
PREFIXES = ("SM", "MM", "AC", "MG")


class SidMaker:
    """Make SIDs from random.Random(seed): the same seed gives the same SIDs in the same order."""

    def __init__(self, seed=0):
        self._random = random.Random(seed)  # noqa: S311 -- identifiers for a simulation, not secrets

    def new(self, prefix):
        """A new SID such as 'SM' + 32 hex digits."""
        if prefix not in PREFIXES:
            raise ValueError(f"unknown SID prefix {prefix!r}; expected one of {PREFIXES}")
        return f"{prefix}{self._random.getrandbits(128):032x}"
