"""Every self-check against the answer bank: right answers pass, wrong ones fail with their hint."""

from collections import Counter

import pytest

from companion_app import checks
from tests.answer_bank import all_answers, nb04_tunnel

ANSWERS = all_answers()
CHECKS = sorted(name for name in dir(checks) if name.startswith("check_") and name != "check_app")


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda a: f"{a.check}-{a.name}")
def test_the_check_judges_the_answer_right(answer):
    verdict = getattr(checks, answer.check)(*answer.build())
    report = repr(verdict)
    if answer.right:
        assert verdict, f"a right answer was called wrong:\n{report}"
    else:
        assert not verdict, f"a wrong answer was called right:\n{report}"
        assert answer.hint in report
    assert "Traceback" not in report


@pytest.mark.parametrize("check", CHECKS)
def test_every_check_has_right_and_wrong_answers_in_the_bank(check):
    counts = Counter(answer.right for answer in ANSWERS if answer.check == check)
    assert counts[True] >= 2, f"{check} has {counts[True]} right answers in the bank"
    assert counts[False] >= 5, f"{check} has {counts[False]} wrong answers in the bank"


@pytest.mark.parametrize("check", CHECKS)
def test_a_missing_answer_gets_a_sentence(check):
    args = (None, None) if check == "check_same_signature" else (None,)
    report = repr(getattr(checks, check)(*args))
    assert report.startswith("❌")
    assert (
        "is not written yet: write it in a new cell under the exercise (press B), run it, "
        "then run this check" in report
    )


class FakeShell:
    """Just enough of an IPython shell: the cells run so far, in In."""

    def __init__(self, *cells):
        self.user_ns = {"In": ["", *cells]}


@pytest.mark.parametrize(
    ("check", "cells", "build", "hint"),
    [
        (
            "check_secret_key",
            ['my_key = "{value}"'],
            lambda: ("9286d5f0dccf85c706029659a9f3b661237801963e570ae435d201fc5cd07e60",),
            "it is written out in your code",
        ),
        (
            "check_same_signature",
            ['my_signature = "{value}"'],
            lambda: nb04_tunnel.signed(
                lambda sent: "".join(list(sent.headers["X-Twilio-Signature"]))
            )(),
            "it is the header copied from the request, not computed",
        ),
    ],
    ids=["typed-key", "pasted-signature"],
)
def test_an_answer_typed_into_a_cell_is_caught(monkeypatch, check, cells, build, hint):
    args = build()
    shell = FakeShell(*(cell.format(value=args[0]) for cell in cells))
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    verdict = getattr(checks, check)(*args)
    assert not verdict
    assert hint in repr(verdict)
