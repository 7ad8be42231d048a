"""Fakes at the Python boundary of pyngrok and twilio's Client, for fast unit tests of the go-live logic."""

import socket
import threading
from types import SimpleNamespace

TOKEN = "2abcSECRETngrokTOKEN_0123456789"
#: The public URL the fake tunnel gives.
PUBLIC = "https://a1b2-c3d4.ngrok-free.app"
#: The learner's Twilio number on the fake account.
NUMBER = "+14155550199"


class FakeNgrok:
    """Stands in for pyngrok's `ngrok` module: records calls, returns a tunnel or raises."""

    def __init__(self, public_url=PUBLIC, error=None, release=None, stdout=None):
        self.public_url = public_url
        self.error = error
        self.release = release
        self.stdout = stdout
        self.calls = []

    def connect(self, addr, proto, pyngrok_config):
        self.calls.append(("connect", addr, proto, pyngrok_config))
        if self.stdout:
            print(self.stdout, end="")
        if self.release is not None:
            self.release.wait(5)
        if self.error is not None:
            raise self.error
        return SimpleNamespace(public_url=self.public_url)

    def disconnect(self, public_url, pyngrok_config):
        self.calls.append(("disconnect", public_url, pyngrok_config))

    def kill(self, pyngrok_config):
        self.calls.append(("kill", pyngrok_config))

    def names(self):
        return [call[0] for call in self.calls]


def resolves(host, wait=3.0):
    """True if `host` resolves within `wait` seconds (a daemon thread, so a slow DNS cannot hang)."""
    answer = []

    def look_up():
        try:
            answer.append(bool(socket.getaddrinfo(host, 443)))
        except OSError:
            answer.append(False)

    worker = threading.Thread(target=look_up, daemon=True)
    worker.start()
    worker.join(wait)
    return bool(answer and answer[0])


ACCOUNT_SID = "AC" + "0123456789abcdef" * 2


OLD_URL = "https://demo.twilio.com/welcome/sms/reply"


class FakeTwilio:
    """A fake account behind a fake twilio Client: records every call, can fail on any of them."""

    def __init__(self):
        self.numbers = [phone()]
        self.calls = []
        self.clients = []
        self.list_error = None
        self.update_errors = []  # raised by the next update() calls, in order (None: succeed)
        self.lost_replies = []  # raised by the next update() calls AFTER the change was applied
        self.fetch_error = None

    def client(self, account_sid, auth_token, http_client=None):
        """The fake `Client` class: Client(account_sid, auth_token, http_client=…)."""
        self.clients.append((account_sid, auth_token, http_client))
        return SimpleNamespace(incoming_phone_numbers=FakeNumbers(self))


def phone(number=NUMBER, sid="PN" + "1" * 32, sms_url=OLD_URL, sms_method="GET"):
    """An IncomingPhoneNumber record as the fake account holds it."""
    return SimpleNamespace(sid=sid, phone_number=number, sms_url=sms_url, sms_method=sms_method)


class FakeNumbers:
    """client.incoming_phone_numbers: .list(...) and (sid).update(...)."""

    def __init__(self, account):
        self.account = account

    def list(self, **filters):
        self.account.calls.append(("list", filters))
        if self.account.list_error:
            raise self.account.list_error
        wanted = filters.get("phone_number")
        return [n for n in self.account.numbers if wanted in (None, n.phone_number)]

    def __call__(self, sid):
        account = self.account
        (number,) = [n for n in account.numbers if n.sid == sid]

        def update(**fields):
            account.calls.append(("update", sid, fields))
            error = account.update_errors.pop(0) if account.update_errors else None
            if error:
                raise error
            number.sms_url, number.sms_method = fields["sms_url"], fields["sms_method"]
            lost = account.lost_replies.pop(0) if account.lost_replies else None
            if lost:
                raise lost
            return SimpleNamespace(sid=sid, **fields)

        def fetch():
            account.calls.append(("fetch", sid))
            if account.fetch_error:
                raise account.fetch_error
            return SimpleNamespace(**vars(number))

        return SimpleNamespace(update=update, fetch=fetch)
