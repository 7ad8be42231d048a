"""Text messages to a learner's webhook through the simulator, and what the phone gets back."""

from companion_app.simulator import FakeClock, TwilioSimulator
from companion_app.teaching.verify import outcome

SENDER, TWILIO_NUMBER = "+14155550100", "+14155550199"
OTHER_SENDER = "+14155550101"
#: A picture, as a picture-only MMS carries it.
PICTURE = "https://example.com/cookie.jpg"


def conversation(app, path="/sms", from_=SENDER, to=TWILIO_NUMBER):
    """A simulated conversation with a learner's webhook, and its simulator (for the clock)."""
    sim = TwilioSimulator(app, webhook_url=f"https://example.ngrok.app{path}", clock=FakeClock())
    return sim, sim.conversation(from_=from_, to=to)


#: The text a phone would receive, or the Twilio error with what happened.
reply_of = outcome
