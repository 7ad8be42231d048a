"""Twilio's error codes that the simulator reports, in one table, and the error a delivery carries."""

from dataclasses import dataclass

#: Twilio error code -> its meaning, as Twilio's error dictionary names it.
ERRORS = {
    11200: "HTTP retrieval failure",
    11205: "HTTP connection failure",
    11206: "HTTP protocol violation",
    11215: "HTTP too many redirects",
    11216: "HTTP bad redirect",
    11750: "TwiML response body too large",
    12100: "Document parse failure",
    12102: "Invalid root element",
    12300: "Invalid Content-Type",
    14106: "Invalid Redirect: too many TwiML documents",
}


@dataclass(frozen=True)
class DeliveryError:
    """A Twilio error as a result (never raised): code, meaning, and what happened in this case."""

    code: int
    detail: str = ""

    @property
    def message(self):
        """The meaning of the code, from ERRORS."""
        return ERRORS[self.code]

    def __str__(self):
        text = f"error {self.code} ({self.message})"
        return f"{text}: {self.detail}" if self.detail else text
