"""The values every test shares: twilio-python's published test token, the tunnel's URL, the phones, and a simulator signing for them."""

from companion_app.simulator import FakeClock, TwilioSimulator

#: The auth token of twilio-python's published signature test vector.
TEST_AUTH_TOKEN = "12345"


#: The public URL a tunnel would give; requests are signed for it.
PUBLIC_URL = "https://example.ngrok.app"


SENDER = "+14155550100"  # "Rey" in the default caller directory


TWILIO_NUMBER = "+14155550199"


#: A message a log must never carry. Look for its word, "PIN", which survives every encoding of
#: the text (+, %20); its digits alone can be part of a port, a process id or a time in the log.
PRIVATE_BODY = "my PIN is 4321"
PRIVATE_WORD = "PIN"


def signed_simulator(target, **options):
    """A simulator for target (app or URL) signing for PUBLIC_URL/sms with the test token, on a FakeClock."""
    options.setdefault("webhook_url", f"{PUBLIC_URL}/sms")
    options.setdefault("auth_token", TEST_AUTH_TOKEN)
    options.setdefault("clock", FakeClock())
    options.setdefault("seed", 0)
    return TwilioSimulator(target, **options)


#: pyngrok's error (its words, pyngrok/process.py) when it stopped reading an agent that had
#: already exited, before the agent's error line: it carries no ngrok_error. A loaded machine gets
#: it now and then for any agent that prints its error and exits.
PYNGROK_LOST = "The ngrok process was unable to start."
