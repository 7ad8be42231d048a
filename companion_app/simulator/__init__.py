"""An offline stand-in for Twilio's Messaging webhooks: conversations with cookies, signatures, TwiML.

    from companion_app.simulator import TwilioSimulator, FakeClock
    sim = TwilioSimulator(app, webhook_url="https://example.ngrok.app/sms", auth_token="...",
                          clock=FakeClock(), seed=0)
    conv = sim.conversation(from_="+14155550100", to="+14155550199")
    delivery = conv.send("hello")      # .status, .replies, .error, .request
    sim.clock.advance(hours=4)

The documented Twilio behaviour it reproduces is in ../shared/twilio-behaviour.md; the choices made
where Twilio documents nothing are listed in the docstrings of core (delivery, redirects, errors),
cookies (the jar), transport (timeouts), twiml and params.
"""

from companion_app.simulator.clock import FakeClock, SystemClock
from companion_app.simulator.cookies import CookieJar, StoredCookie
from companion_app.simulator.core import (
    ChatView,
    Conversation,
    Delivery,
    SentRequest,
    TwilioSimulator,
)
from companion_app.simulator.errors import ERRORS, DeliveryError
from companion_app.simulator.twiml import Reply

__all__ = [
    "ERRORS",
    "ChatView",
    "Conversation",
    "CookieJar",
    "Delivery",
    "DeliveryError",
    "FakeClock",
    "Reply",
    "SentRequest",
    "StoredCookie",
    "SystemClock",
    "TwilioSimulator",
]
