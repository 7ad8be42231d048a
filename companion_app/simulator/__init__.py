"""An offline stand-in for Twilio's Messaging webhooks: conversations with cookies, signatures, TwiML.

    from companion_app.simulator import TwilioSimulator, FakeClock
    sim = TwilioSimulator(app, webhook_url="https://example.ngrok.app/sms", auth_token="...",
                          clock=FakeClock(), seed=0)
    conv = sim.conversation(from_="+14155550100", to="+14155550199")
    delivery = conv.send("hello")      # .status, .replies, .error, .request
    sim.clock.advance(hours=4)

It reproduces what Twilio documents (cookies kept per From/To pair for 4 hours after they were
set, signed form posts, TwiML replies, error codes, NumSegments as Twilio's segment calculator
counts, MM SIDs for messages with media). Where Twilio documents nothing, the choices made are
listed in the docstrings of core (delivery, redirects, errors, the signed URL), cookies (the jar:
Path, Domain, Secure, size, expiry), transport (timeouts), twiml and params (places), and each is
tested. ERRORS is the table of error codes and their meanings.
"""

from companion_app.simulator.clock import FakeClock, SystemClock
from companion_app.simulator.conversation import ChatView, Conversation, Delivery, SentRequest
from companion_app.simulator.cookies import CookieJar, StoredCookie
from companion_app.simulator.core import TwilioSimulator
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
