"""The form parameters of an incoming-message webhook, as Twilio sends them.

Twilio fills From/To City, State, Zip and Country "when known". The simulator knows a few example
area codes (below) and the country of +1 and +44 numbers; for other numbers these parameters are
sent empty, as Twilio sends them for numbers it cannot place.
"""

import mimetypes

#: Example places for a few US area codes: area code -> (city, state, zip).
PLACES = {
    "415": ("SAN FRANCISCO", "CA", "94105"),
    "212": ("NEW YORK", "NY", "10001"),
    "312": ("CHICAGO", "IL", "60601"),
}

#: Country calling code -> ISO country, for the countries the simulator can place.
COUNTRIES = {"+1": "US", "+44": "GB"}

#: The GSM-7 characters (basic set and extension table) that fit a 160-character segment.
GSM7 = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)

#: The longest Body Twilio delivers (10 concatenated segments).
MAX_BODY = 1600


def segments(body):
    """How many SMS segments the body takes: 160/153 GSM-7 characters, else 70/67 UCS-2."""
    single, multi = (160, 153) if all(c in GSM7 for c in body) else (70, 67)
    if len(body) <= single:
        return 1
    return -(-len(body) // multi)


def place(number):
    """(city, state, zip, country) for a number, with empty strings for what is not known."""
    country = next((iso for code, iso in COUNTRIES.items() if number.startswith(code)), "")
    city, state, zip_code = ("", "", "")
    if number.startswith("+1"):
        city, state, zip_code = PLACES.get(number[2:5], ("", "", ""))
    return city, state, zip_code, country


def content_type(url):
    """A media URL's content type, guessed from its name (image/jpeg when it cannot be guessed)."""
    return mimetypes.guess_type(url.split("?", 1)[0])[0] or "image/jpeg"


def message_params(*, sid, account_sid, service_sid, from_, to, body, media):
    """The webhook's parameters (dict of str): the full set Twilio sends for an incoming message."""
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": account_sid,
    }
    if service_sid:
        params["MessagingServiceSid"] = service_sid
    params.update(
        From=from_,
        To=to,
        Body=body,
        NumMedia=str(len(media)),
        NumSegments=str(segments(body)),
        SmsStatus="received",
        ApiVersion="2010-04-01",
    )
    for side, number in (("From", from_), ("To", to)):
        city, state, zip_code, country = place(number)
        params.update(
            {
                f"{side}City": city,
                f"{side}State": state,
                f"{side}Zip": zip_code,
                f"{side}Country": country,
            }
        )
    for index, url in enumerate(media):
        params[f"MediaContentType{index}"] = content_type(url)
        params[f"MediaUrl{index}"] = url
    return params
