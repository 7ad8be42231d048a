"""Notebook 05: break the counter on purpose, and a script just under four hours."""

from datetime import timedelta

from companion_app import create_app
from companion_app.checks.cells import judges
from companion_app.checks.verdict import Verdict, check_app, kind_of, not_written
from companion_app.teaching.verify import (
    AUTH_TOKEN,
    NUMBER,
    OTHER_NUMBER,
    Step,
    compare,
    run_script,
)


def reference_counter():
    """companion_app's counter, set up for the verify module's standard script."""
    return create_app(
        {
            "SECRET_KEY": "reference-key",
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "PUBLIC_URL": "https://example.ngrok.app",
        }
    )


#: The standard script's forged request (step 14): the reference refuses it, a plain counter not.
FORGED_STEP = 14


@judges("broken_app")
def check_comparison_catches(broken_app):
    """Notebook 05: the broken app still answers, and comparing it with the reference catches it."""
    title = "Break it on purpose"
    return check_app(title, "broken_app", broken_app, _caught)


def _caught(verdict, app):
    result = compare(app, reference_counter())
    silent = [
        n
        for n, (step, text) in enumerate(zip(result.script, result.left, strict=True), 1)
        if step.action == "send" and (text.startswith("error") or text == "(no reply)")
    ]
    verdict.expect(
        not silent,
        "your broken app still answers every genuine message (a quiet bug, the hardest kind)",
        f"your app fails outright or stays silent at step {', '.join(map(str, silent))}: break "
        "the logic, not the app (every message should still get a reply)",
    )
    verdict.expect(
        any(n != FORGED_STEP for n in result.differences),
        f"the comparison catches it: {result.summary()}",
        "the comparison found no difference besides the forgery: your change did not alter what "
        "the script checks. Try another bug, e.g. forget to store the count",
    )


#: The silence the exercise asks for: just under Twilio's four hours.
EDGE_HOURS = (3.9, 4)


_NO_WAIT = (
    "it has no wait(...) step: put one between the pair's second and third messages "
    "(wait takes hours)"
)


def _wait_hint(hours):
    """What a wait(hours) the learner wrote means, and why it is not just under 4 hours."""
    whole, minutes = divmod(round(hours * 60), 60)
    lasts = f"wait({hours:g}) is {hours:g} hours ({whole} h {minutes} min)"
    if hours >= 24:
        return f"{lasts}: wait counts hours, not minutes or seconds"
    if hours >= EDGE_HOURS[1]:
        return (
            f"{lasts}, when Twilio has already dropped the cookie: wait a little less than 4 hours"
        )
    tenths, hundredths = hours * 10, hours * 100
    two_decimals = abs(hundredths - round(hundredths)) < 1e-6 and abs(tenths - round(tenths)) > 1e-6
    if 3 < hours < 3.6 and two_decimals:  # 3.59 meant as 3 h 59 min
        return (
            f"{lasts}: the digits after the point are a fraction of an hour, not minutes; "
            "write the minutes as a fraction of an hour"
        )
    return f"{lasts}: not just under 4 hours (the exercise asks for 3 hours 59 minutes)"


def _wait_type_hint(hours):
    """A sentence for a wait(...) whose hours are not a number, or None when they are one."""
    if isinstance(hours, (int, float)) and not isinstance(hours, bool):
        if 0 <= hours < float("inf"):
            return None
        return f"wait({hours!r}) cannot happen: wait takes a number of hours, 0 or more"
    if isinstance(hours, timedelta):
        return (
            f"wait({hours!r}) is given a timedelta, and wait takes a number of hours: "
            "pass its total_seconds() / 3600"
        )
    return (
        f"wait({hours!r}) is given {kind_of(hours)}, and wait takes a number of hours (an int or a "
        "float): write the minutes as a fraction of an hour"
    )


def _silences(script):
    """(index of the last wait, hours) for each run of waits in a row, added up: wait(3), wait(1/2)."""
    runs, total = [], None
    for n, step in enumerate(script):
        if step.action == "wait":
            total = (total or 0) + step.hours
            if n + 1 == len(script) or script[n + 1].action != "wait":
                runs.append((n, total))
                total = None
    return runs


#: The Twilio numbers of notebook 05's scripts: a message is sent from a phone to one of them.
TWILIO_NUMBERS = (NUMBER, OTHER_NUMBER)


@judges("edge_script")
def check_edge_script(script):
    """Notebook 05: a pair texts twice, is silent just under 4 hours, texts again, and counts on."""
    title = "Just under four hours"
    missing = not_written(
        title,
        "edge_script",
        script,
        "a list of steps made with send(...) and wait(...)",
        lambda s: isinstance(s, (list, tuple)),
    )
    if missing is not None:
        return missing
    script = list(script)
    verdict = Verdict(title)
    if not verdict.expect(
        bool(script) and all(isinstance(s, Step) for s in script),
        "the script is a list of steps",
        "the script should be a list made with send(...) and wait(...)",
    ):
        return verdict
    for step in script:
        hint = _wait_type_hint(step.hours) if step.action == "wait" else None
        if hint is not None:
            verdict.fail(hint)
            return verdict
    swapped = [s for s in script if s.action == "send" and s.from_ in TWILIO_NUMBERS]
    if swapped and swapped[0].to not in TWILIO_NUMBERS:
        step = swapped[0]
        verdict.fail(
            f"send({step.from_!r}, {step.to!r}, …) sends from the Twilio number {step.from_} to "
            f"the phone {step.to}: send(from_, to, body) takes the phone first, the Twilio "
            "number second"
        )
        return verdict
    runs = _silences(script)
    edge = [n for n, hours in runs if EDGE_HOURS[0] <= hours < EDGE_HOURS[1]]
    if not verdict.expect(
        bool(edge),
        "it waits just under 4 hours (3.9 to 4) somewhere",
        "it never waits between 3.9 and 4 hours: "
        + ("; ".join(_wait_hint(hours) for _n, hours in runs) if runs else _NO_WAIT),
    ):
        return verdict
    where = edge[0]
    after = script[where + 1] if where + 1 < len(script) else None
    if not verdict.expect(
        after is not None and after.action == "send",
        "a message comes right after the wait",
        "nothing is sent right after the wait: send the pair's next message as the step after "
        "wait(...)",
    ):
        return verdict
    pair = (after.from_, after.to)
    before = len([s for s in script[:where] if s.action == "send" and (s.from_, s.to) == pair])
    if not verdict.expect(
        before >= 2,
        f"{after.from_} texts {after.to} {before} times before the wait",
        f"{after.from_} texts {after.to} only {before} time(s) before the wait: the "
        "exercise has the same pair text twice, then the wait, then the third message",
    ):
        return verdict
    where += 1
    try:
        got = run_script(reference_counter(), script)[where]
    except Exception as error:  # a step made by hand that the verifier cannot run
        verdict.fail(f"the script could not run: {type(error).__name__}: {error}")
        return verdict
    verdict.expect(
        f"{before + 1} times" in got,
        f"the message after the wait still counts on: {got!r}",
        f"the message after the wait got {got!r}: keep the pair's messages together and the "
        "silence under 4 hours, with no other long wait in between",
    )
    return verdict
