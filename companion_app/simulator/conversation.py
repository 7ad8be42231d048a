"""What a conversation is made of: the requests sent, each message's Delivery, and the Conversation of
one From/To pair with its cookie jar (the simulator in core.py delivers them)."""

from dataclasses import dataclass, field
from datetime import datetime

from companion_app.simulator import display
from companion_app.simulator.cookies import CookieJar
from companion_app.simulator.errors import DeliveryError


@dataclass(frozen=True)
class SentRequest:
    """One HTTP request the simulator sent: method, the public URL Twilio signed, params and headers."""

    method: str
    url: str
    params: dict
    headers: dict


@dataclass(repr=False)
class Delivery:
    """One message delivered to the webhook: what was sent, the replies, and the error if any."""

    from_: str
    to: str
    body: str
    media: tuple
    sent_at: datetime
    sid: str
    replies: list = field(default_factory=list)
    error: DeliveryError | None = None
    requests: list = field(default_factory=list)
    http_status: int | None = None
    #: The headers of the last HTTP response (werkzeug Headers), or None when none came.
    http_headers: object = None

    @property
    def status(self):
        """'failed' (see .error), 'replied' or 'no reply'."""
        if self.error is not None:
            return "failed"
        return "replied" if self.replies else "no reply"

    @property
    def request(self):
        """The first request of this delivery (the webhook call itself), or None."""
        return self.requests[0] if self.requests else None

    @property
    def reply(self):
        """The first reply's body, or None when nothing was sent back."""
        return self.replies[0].body if self.replies else None

    def __str__(self):
        return "\n".join(display.delivery_lines(self))

    def __repr__(self):
        if self.error is not None:
            return f"<Delivery {self.body!r}: failed, {self.error}>"
        answers = ", ".join(repr(reply.body) for reply in self.replies) or "no reply"
        return f"<Delivery {self.body!r}: {answers}>"


class ChatView:
    """A conversation ready to display: phone-style HTML in Jupyter, the transcript as text."""

    def __init__(self, conversation, cookies=False):
        self._conversation = conversation
        self._cookies = cookies

    def __repr__(self):
        text = self._conversation.transcript()
        if self._cookies:
            text += "\n\ncookies:\n" + str(self._conversation.cookies)
        return text

    def _repr_html_(self):
        conv = self._conversation
        cookies = conv.cookies.current() if self._cookies else None
        return display.chat_html(conv.from_, conv.to, conv.deliveries, cookies)


class Conversation:
    """Messages from one phone (from_) to one Twilio number (to), with that pair's cookie jar."""

    def __init__(self, simulator, from_, to):
        self.simulator = simulator
        self.from_ = from_
        self.to = to
        self.cookies = CookieJar(simulator.clock)
        self.deliveries = []

    def send(self, body="", media=()):
        """Text body (and media URLs) to the Twilio number; return the Delivery (errors included)."""
        media = (media,) if isinstance(media, str) else tuple(media)
        return self.simulator._deliver(self, body, media)

    def send_together(self, bodies):
        """Deliver several messages at once, all carrying the same cookies (the lost update)."""
        return self.simulator.deliver_together(self, bodies)

    def transcript(self):
        """The conversation as deterministic plain text."""
        return display.transcript(self.from_, self.to, self.deliveries)

    def show(self, cookies=False):
        """A displayable chat (HTML in Jupyter, text elsewhere), with the cookie jar if cookies=True."""
        return ChatView(self, cookies=cookies)

    def __str__(self):
        return self.transcript()

    def __repr__(self):
        count = len(self.deliveries)
        return (
            f"<Conversation {self.from_} → {self.to}: {count} message{'' if count == 1 else 's'}>"
        )

    def _repr_pretty_(self, printer, cycle):
        """In IPython, the plain-text view of a conversation is its transcript."""
        printer.text(self.transcript())

    def _repr_html_(self):
        return display.chat_html(self.from_, self.to, self.deliveries)
