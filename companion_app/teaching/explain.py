"""Plain-language explanations of what Twilio sends, for the notebooks' tables."""

#: What each parameter of an incoming-message webhook means.
PARAMETERS = {
    "MessageSid": "unique id of this message: `SM` (`MM` with media) + 32 hex digits",
    "SmsSid": "same as MessageSid (deprecated name)",
    "SmsMessageSid": "same as MessageSid (deprecated name)",
    "AccountSid": "your Twilio account: `AC` + 32 hex digits",
    "MessagingServiceSid": "the Messaging Service, when the number belongs to one",
    "From": "the sender's phone number, in E.164 form",
    "To": "your Twilio number that received the message",
    "Body": "the text, up to 1600 characters (empty for a picture-only MMS)",
    "NumMedia": "how many pictures or files are attached",
    "NumSegments": "how many SMS segments the text arrived in",
    "SmsStatus": "always `received` for an incoming message",
    "ApiVersion": "the Twilio API version: `2010-04-01`",
    "FromCity": "sender's city, when Twilio knows it",
    "FromState": "sender's state or province, when known",
    "FromZip": "sender's postal code, when known",
    "FromCountry": "sender's country code",
    "ToCity": "city of your number, when known",
    "ToState": "state of your number, when known",
    "ToZip": "postal code of your number, when known",
    "ToCountry": "country of your number",
}


def meaning(name):
    """What the parameter `name` means (MediaUrl0, MediaContentType0, … included)."""
    if name.startswith("MediaUrl"):
        return f"where to download attachment {name[8:]}"
    if name.startswith("MediaContentType"):
        return f"the type of attachment {name[16:]}, e.g. `image/jpeg`"
    return PARAMETERS.get(name, "not documented here: ignore parameters you do not need")


def parameter_table(params):
    """A markdown table of a webhook request's parameters, their values and what they mean."""
    rows = ["| Parameter | Value | Meaning |", "|---|---|---|"]
    for name, value in params.items():
        shown = f"`{value}`" if value else "*(empty)*"
        rows.append(f"| `{name}` | {shown} | {meaning(name)} |")
    return "\n".join(rows)
