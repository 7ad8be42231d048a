"""Every self-check against the answer bank: right answers pass, wrong ones fail with their hint."""

from collections import Counter

import pytest

from companion_app import checks
from tests.answer_bank import all_answers

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
    assert "is not written yet: write it in the exercise cell above" in report
