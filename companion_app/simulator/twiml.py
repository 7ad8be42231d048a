"""Read a TwiML document as Twilio's Messaging does: <Message> replies and <Redirect> hops.

Twilio documents the root (<Response>, else 12102), unparsable XML (12100), <Message> with text or
nested <Body>/<Media> and optional to/from attributes, several <Message> verbs, <Redirect> and an
empty <Response/>. The simulator also chooses: leading and trailing whitespace of a message body is
stripped; verbs it does not know are skipped; verbs after a <Redirect> are not read (Twilio moves on
to the new document).
"""

import xml.etree.ElementTree as ET  # noqa: S405 -- parses the learner's own webhook replies
from dataclasses import dataclass

from companion_app.simulator.errors import DeliveryError


@dataclass(frozen=True)
class Reply:
    """A message Twilio sends because of the webhook's reply: body, media URLs, to and from numbers."""

    body: str
    media: tuple = ()
    to: str = ""
    from_: str = ""


@dataclass(frozen=True)
class Redirect:
    """A <Redirect>: fetch more TwiML from url with method."""

    url: str
    method: str = "POST"


def message(element, to, from_):
    """The Reply of a <Message> element, sent to `to` from `from_` unless its attributes say otherwise."""
    bodies = element.findall("Body")
    media = tuple((m.text or "").strip() for m in element.findall("Media"))
    nested = bodies or media
    text = "".join(b.text or "" for b in bodies) if nested else (element.text or "")
    return Reply(
        body=text.strip(),
        media=media,
        to=element.get("to", to),
        from_=element.get("from", from_),
    )


def read_twiml(document, to, from_):
    """(verbs, error): the Reply and Redirect verbs of a TwiML document (bytes), or a 12100/12102 error."""
    try:
        root = ET.fromstring(document)  # noqa: S314 -- see the import
    except ET.ParseError as exc:
        return [], DeliveryError(12100, f"the reply is not well-formed XML ({exc})")
    if root.tag != "Response":
        return [], DeliveryError(12102, f"the root element is <{root.tag}>, not <Response>")
    verbs = []
    for element in root:
        if element.tag == "Message":
            verbs.append(message(element, to, from_))
        elif element.tag == "Redirect":
            verbs.append(Redirect((element.text or "").strip(), element.get("method", "POST")))
            break
    return verbs, None
