"""04 Exercise 2 in a notebook: the cell that set my_signature runs again for a message the learner
never saw (another Body and MessageSid, a decoy header), and the twilio SDK says what it must give."""

import pytest
from twilio.request_validator import RequestValidator

from companion_app import checks
from companion_app.simulator import FakeClock, TwilioSimulator
from tests.answer_bank.nb04_tunnel import PUBLIC, TOKEN, fixed_in_create_app

SOLUTION = (
    "first = rey.deliveries[0].request\n"
    "my_signature = RequestValidator(auth_token).compute_signature(first.url, first.params)\n"
)


class FakeShell:
    """Just enough of an IPython shell: the notebook's names and the cells run so far, in In."""

    def __init__(self, namespace, *cells):
        self.user_ns = {**namespace, "In": ["", *cells]}


def notebook():
    """The names notebook 04 has when Exercise 2 starts: rey, auth_token, RequestValidator."""
    sim = TwilioSimulator(
        fixed_in_create_app(), webhook_url=f"{PUBLIC}/sms", auth_token=TOKEN, clock=FakeClock()
    )
    rey = sim.conversation(from_="+14155550100", to="+14155550199")
    rey.send("hi")
    return {"rey": rey, "auth_token": TOKEN, "RequestValidator": RequestValidator}


def judged(monkeypatch, *cells):
    """Run the cells in a fake notebook, then the check, as the notebook calls it."""
    namespace = notebook()
    shell = FakeShell(namespace, *cells)
    for cell in cells:
        exec(cell, shell.user_ns)  # noqa: S102 -- the learner's cell, as the kernel ran it
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    sent = namespace["rey"].deliveries[0].request
    params, headers = dict(sent.params), dict(sent.headers)
    verdict = checks.check_same_signature(
        shell.user_ns.get("my_signature"), namespace["rey"].deliveries[0]
    )
    assert (dict(sent.params), dict(sent.headers)) == (params, headers), (
        "the request was not put back"
    )
    return verdict


RIGHT = {
    "the notebook's answer": [SOLUTION],
    "the header shown beside it for comparison": [
        SOLUTION
        + "print(my_signature)\nprint(first.headers['X-Twilio-Signature'])\n"
        + "print(my_signature == first.headers['X-Twilio-Signature'])\n"
    ],
    "the header pasted into a comment for comparison": [
        "first = rey.deliveries[0].request\n"
        "# Twilio sent {header}\n"
        "my_signature = RequestValidator(auth_token).compute_signature(first.url, first.params)\n"
    ],
    "the check called in the same cell": [
        SOLUTION + "from companion_app import checks\n"
        "checks.check_same_signature(my_signature, rey.deliveries[0])\n"
    ],
    "the request kept from an earlier cell": [
        "first = rey.deliveries[0].request",
        "validator = RequestValidator(auth_token)\n"
        "my_signature = validator.compute_signature(first.url, dict(first.params))",
    ],
}

#: A cell that asserts the comparison cannot run for another message (the header is a decoy then):
#: its value is judged as it is, and it passes.
ASSERTED = SOLUTION + "assert my_signature == first.headers['X-Twilio-Signature']\n"


def test_a_cell_that_asserts_the_comparison_passes(monkeypatch):
    verdict = judged(monkeypatch, ASSERTED)
    assert verdict, repr(verdict)


WRONG = {
    "header.encode().decode()": [
        "first = rey.deliveries[0].request\n"
        "my_signature = first.headers['X-Twilio-Signature'].encode().decode()\n"
    ],
    "str() of the header, from an earlier cell": [
        "h = rey.deliveries[0].request.headers.get('X-Twilio-Signature')",
        "my_signature = str(h)",
    ],
    "the header joined back together": [
        "my_signature = ''.join(list(rey.deliveries[0].request.headers['X-Twilio-Signature']))"
    ],
    "an f-string of the header": [
        "my_signature = f\"{rey.deliveries[0].request.headers['X-Twilio-Signature']}\""
    ],
}


@pytest.mark.parametrize("name", RIGHT)
def test_a_computed_signature_passes_however_it_is_shown(monkeypatch, name):
    header = notebook()["rey"].deliveries[0].request.headers["X-Twilio-Signature"]
    cells = [cell.replace("{header}", header) for cell in RIGHT[name]]
    verdict = judged(monkeypatch, *cells)
    assert verdict, repr(verdict)
    assert "run again for another message" in repr(verdict)


@pytest.mark.parametrize("name", WRONG)
def test_a_copied_header_fails_however_it_is_copied(monkeypatch, name):
    verdict = judged(monkeypatch, *WRONG[name])
    assert not verdict, repr(verdict)
    assert "it is the header copied from the request, not computed" in repr(verdict)
    assert "Traceback" not in repr(verdict)
