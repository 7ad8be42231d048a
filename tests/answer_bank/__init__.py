"""A bank of learners' answers to every exercise, right and wrong, as data.

Each module holds one notebook's answers as ``ANSWERS``: a list of ``Answer`` rows. A right answer
must pass its check; a wrong one must fail with a hint that names what is wrong. To add a mistake a
learner made, add a row (and, when it needs one, a small function that builds the answer).
"""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from tests.support.answers import twiml  # noqa: F401 -- the bank modules take it from here


@dataclass(frozen=True)
class Answer:
    """One learner's answer: the check it is for, what it is, how to build it, and the verdict due.

    ``build()`` returns the check's arguments as a tuple. ``hint`` is None for a right answer, else
    words that the failed verdict must contain.
    """

    check: str
    name: str
    build: Callable[[], tuple]
    hint: str | None = None

    @property
    def right(self):
        """True when the answer is right and must pass."""
        return self.hint is None


def right(check, name, build):
    """A right answer: the check must pass it."""
    return Answer(check, name, build)


def wrong(check, name, build, hint):
    """A wrong answer: the check must fail it with a verdict that contains hint."""
    return Answer(check, name, build, hint)


def all_answers():
    """Every answer of every module in the bank (one module per notebook, nbNN_*.py)."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("nb"))
    modules = [importlib.import_module(f"{__name__}.{name}") for name in names]
    return [answer for module in modules for answer in module.ANSWERS]
