"""The instructor guide's plans add up from the times the notebooks state, and its cuts keep order.

The times come from each notebook's "Before you start: ... About N minutes", not from the guide:
a notebook that grows or shrinks makes a plan that no longer fits fail here.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
PLANS = {"2 hours": 120, "3 hours": 180, "Half a day (4 hours)": 240}


def stated_times():
    """{"NN": minutes} as each notebook states it under "Before you start"."""
    times = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        times[path.name[:2]] = int(
            re.search(r"\*\*Before you start:\*\*.*?About (\d+) minutes", text, re.S).group(1)
        )
    return times


def section(heading):
    """The guide's text under a ### heading that starts with heading, up to the next heading."""
    found = re.search(rf"^###\s+{re.escape(heading)}(?!\w).*?\n(.*?)(?=^##)", GUIDE, re.M | re.S)
    assert found, f"the guide has no section {heading!r}"
    return found.group(1)


def rows(text):
    """The cells of each row of the first Markdown table in text (header and rule left out)."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def numbers(cell):
    """1, 2 and 5 from "1, 2, 5"; nothing from an empty cell."""
    return [int(n) for n in re.findall(r"\d+", cell)]


def cut_list():
    """{cut: (notebook, minutes saved, cuts that must come first, what goes)}, in the guide's order."""
    cuts = {}
    for number, notebook, what, saves, first in rows(section("The cut list")):
        saved = int(re.fullmatch(r"(\d+) min", saves).group(1))
        cuts[int(number)] = (notebook, saved, first, what)
    return cuts


def minutes(span):
    """(start, end) in minutes from "1:05–1:35"."""
    h1, m1, h2, m2 = map(int, re.fullmatch(r"(\d+):(\d\d)–(\d+):(\d\d)", span).groups())
    return h1 * 60 + m1, h2 * 60 + m2


def test_the_cut_list_is_numbered_in_order_and_each_cut_comes_after_what_it_needs():
    cuts = cut_list()
    assert list(cuts) == list(range(1, len(cuts) + 1))
    for number, (_, saves, first, _) in cuts.items():
        assert saves > 0
        assert all(earlier < number for earlier in numbers(first)), number


def test_all_cuts_of_a_notebook_never_save_more_than_it_takes():
    times, cuts = stated_times(), cut_list()
    for notebook, stated in times.items():
        assert sum(cut[1] for cut in cuts.values() if cut[0] == notebook) <= stated, notebook


def test_01_exercise_2_is_cut_before_the_cookie_attributes_section_it_uses():
    cuts = cut_list()
    of_01 = {n: cut for n, cut in cuts.items() if cut[0] == "01"}
    exercise = next(n for n, cut in of_01.items() if "Exercise 2" in cut[3])
    attributes = next(n for n, cut in of_01.items() if "cookie attributes" in cut[3].lower())
    assert exercise < attributes
    assert exercise in numbers(cuts[attributes][2])


@pytest.mark.parametrize("plan", PLANS)
def test_a_plan_adds_up_to_its_length_from_the_notebooks_stated_times(plan):
    times, cuts = stated_times(), cut_list()
    text = section(plan)
    taken = re.search(r"^Cuts 1–(\d+)\.$", text, re.M)
    assert taken, f"{plan}: no 'Cuts 1–N.' line"
    applied = set(range(1, int(taken.group(1)) + 1))
    clock = 0
    shown = {}
    for span, what, stated, cut, spent, _ in rows(text):
        start, end = minutes(span)
        assert start == clock, f"{plan}: {span} does not start where the row before it ended"
        assert end - start == int(spent), f"{plan}: {span} is not {spent} minutes"
        clock = end
        number = what[:2]
        if "Break" in what:
            continue
        assert int(stated) == times[number], f"{plan}: {number} is stated as {times[number]} min"
        assert set(numbers(cut)) == {c for c in applied if cuts[c][0] == number}, plan
        shown[number] = int(spent)
    assert clock == PLANS[plan]
    for number, stated in times.items():  # every notebook left out is one its cuts take to nothing
        left = stated - sum(cuts[c][1] for c in applied if cuts[c][0] == number)
        assert shown.get(number, 0) == left, f"{plan}: {number} should take {left} min"
