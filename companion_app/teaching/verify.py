"""Run one scripted conversation against two webhooks and compare what the phones would receive.

A script is a list of steps: messages from a phone to a Twilio number, hours of silence, a tampered
session cookie, and a request forged without the auth token. Each webhook gets its own simulator
with the same seed and the same clock, so the two runs differ only where the webhooks do.
"""

import base64
import html
import logging
from contextlib import contextmanager
from dataclasses import dataclass

from companion_app.simulator import FakeClock, TwilioSimulator

#: The auth token both runs sign with (a stand-in for the account's real one).
AUTH_TOKEN = "verify-auth-token"  # noqa: S105 (made up: the script's stand-in for a real token)
#: What a forger signs with: not the token.
FORGED_TOKEN = "not-the-token"  # noqa: S105
#: The public URL Twilio signs in the script.
WEBHOOK_URL = "https://example.ngrok.app/sms"
#: The Twilio number of the script, and its senders.
NUMBER, OTHER_NUMBER = "+14155550199", "+14155550188"
REY, FINN, STRANGER = "+14155550100", "+14155550101", "+14155559999"


@dataclass(frozen=True)
class Step:
    """One step of a script: send, wait, tamper or forge."""

    action: str
    from_: str = ""
    to: str = ""
    body: str = ""
    hours: float = 0

    def __str__(self):
        if self.action == "wait":
            hours, minutes = divmod(round(self.hours * 60), 60)
            return f"{hours} h {minutes} min of silence" if minutes else f"{hours} hours of silence"
        if self.action == "tamper":
            return f"{self.from_} → {self.to}: session cookie rewritten to count 1000"
        prefix = "forged: " if self.action == "forge" else ""
        return f"{prefix}{self.from_} → {self.to}: {self.body!r}"


def send(from_, to, body):
    """A message from a phone to a Twilio number."""
    return Step("send", from_, to, body)


def wait(hours):
    """Hours of silence on every conversation."""
    return Step("wait", hours=hours)


def tamper(from_, to):
    """Rewrite the data of the pair's session cookie (claiming 1000 messages), keeping its signature."""
    return Step("tamper", from_, to)


def forge(from_, to, body):
    """A request signed without the auth token, as an attacker who found the URL would send."""
    return Step("forge", from_, to, body)


#: Several pairs, an unknown caller, four hours of silence, a tampered cookie, a forged signature.
STANDARD_SCRIPT = [
    send(REY, NUMBER, "hi"),
    send(REY, NUMBER, "hello again"),
    send(FINN, NUMBER, "hey"),
    send(REY, NUMBER, "third"),
    send(STRANGER, NUMBER, "who is this?"),
    send(REY, OTHER_NUMBER, "other number"),
    send(STRANGER, NUMBER, "still me"),
    tamper(REY, NUMBER),
    send(REY, NUMBER, "am I a VIP?"),
    send(REY, NUMBER, "and now?"),
    wait(4),
    send(FINN, NUMBER, "back after lunch"),
    send(REY, NUMBER, "hello?"),
    forge(REY, NUMBER, "forged message"),
    send(REY, NUMBER, "last one"),
]


def outcome(delivery):
    """What the phone receives: the replies, or the Twilio error."""
    if delivery.error is not None:
        return str(delivery.error)
    return " / ".join(reply.body for reply in delivery.replies) or "(no reply)"


def rewrite_session(value, data=b'{"counter":1000}'):
    """The same cookie with its data replaced and its timestamp and signature kept."""
    parts = (value or "").split(".")
    encoded = base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    return ".".join([encoded, *parts[1:]]) if len(parts) == 3 else encoded


@contextmanager
def quiet_logs():
    """Hold back log lines up to WARNING while a script runs: the outcomes already say what happened."""
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def run_script(app, script=STANDARD_SCRIPT, auth_token=AUTH_TOKEN):
    """Run the script against app; return one outcome per step (the app's warnings are held back)."""
    with quiet_logs():
        return _run(app, script, auth_token)


def _run(app, script, auth_token):
    """run_script without the log handling."""
    clock = FakeClock()
    sim = TwilioSimulator(app, webhook_url=WEBHOOK_URL, auth_token=auth_token, clock=clock)
    forger = TwilioSimulator(app, webhook_url=WEBHOOK_URL, auth_token=FORGED_TOKEN, clock=clock)
    outcomes = []
    for step in script:
        if step.action == "wait":
            clock.advance(hours=step.hours)
            outcomes.append("—")
        elif step.action == "tamper":
            jar = sim.conversation(from_=step.from_, to=step.to).cookies
            jar.put("session", rewrite_session(jar.get("session")))
            outcomes.append("—")
        else:
            source = forger if step.action == "forge" else sim
            conv = source.conversation(from_=step.from_, to=step.to)
            outcomes.append(outcome(conv.send(step.body)))
    return outcomes


@dataclass
class Comparison:
    """Two webhooks' outcomes for the same script, step by step."""

    script: list
    left: list
    right: list
    names: tuple

    @property
    def differences(self):
        """The numbers (from 1) of the steps where the two webhooks differ."""
        return [n for n, (a, b) in enumerate(zip(self.left, self.right, strict=True), 1) if a != b]

    @property
    def matches(self):
        """True when every step had the same outcome."""
        return not self.differences

    def summary(self):
        """One sentence: how many steps matched, and which did not."""
        total = len(self.script)
        if self.matches:
            return f"All {total} steps match."
        steps = ", ".join(str(n) for n in self.differences)
        return f"{total - len(self.differences)} of {total} steps match; different: step {steps}."

    def __repr__(self):
        lines = [self.summary(), ""]
        for n, (step, a, b) in enumerate(zip(self.script, self.left, self.right, strict=True), 1):
            mark = " " if a == b else "≠"
            lines.append(f"{mark}{n:>3}. {step}")
            if step.action not in ("wait", "tamper"):
                if a == b:
                    lines.append(f"       both: {a}")
                else:
                    lines.append(f"       {self.names[0]}: {a}")
                    lines.append(f"       {self.names[1]}: {b}")
        return "\n".join(lines)

    def _repr_html_(self):
        left = ' style="text-align:left;vertical-align:top"'
        head = "".join(f"<th{left}>{html.escape(h)}</th>" for h in ("#", "step", *self.names))
        rows = []
        for n, (step, a, b) in enumerate(zip(self.script, self.left, self.right, strict=True), 1):
            style = "" if a == b else ' style="background:#fde2e1"'
            cells = [str(n), str(step), a, b]
            rows.append(
                f"<tr{style}>"
                + "".join(f"<td{left}>{html.escape(c)}</td>" for c in cells)
                + "</tr>"
            )
        table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        return f"<p><strong>{html.escape(self.summary())}</strong></p>{table}"


def compare(yours, reference, script=STANDARD_SCRIPT, names=("your app", "companion_app")):
    """Run the same script against two webhooks and compare the outcomes."""
    return Comparison(list(script), run_script(yours, script), run_script(reference, script), names)
