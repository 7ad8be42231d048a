"""The form parameters of an incoming-message webhook, as Twilio sends them.

Twilio fills From/To City, State, Zip and Country "when known". The simulator knows a few example
area codes (below) and the country of +1 and +44 numbers; for other numbers these parameters are
sent empty, as Twilio sends them for numbers it cannot place.
"""

import mimetypes
import unicodedata

import gsm0338  # noqa: F401 -- registers the "gsm03.38" codec

try:
    import regex
except ImportError:  # Python in the browser (Pyodide) has no wheel of regex: see clusters()
    regex = None

#: Example places for a few US area codes: area code -> (city, state, zip).
PLACES = {
    "415": ("SAN FRANCISCO", "CA", "94105"),
    "212": ("NEW YORK", "NY", "10001"),
    "312": ("CHICAGO", "IL", "60601"),
}

#: Country calling code -> ISO country, for the countries the simulator can place.
COUNTRIES = {"+1": "US", "+44": "GB"}

#: The longest Body Twilio delivers (10 concatenated segments).
MAX_BODY = 1600

#: Septets in one GSM-7 segment, alone and in a concatenated message (7 go to the header).
GSM7_SINGLE, GSM7_MULTI = 160, 153
#: UTF-16 code units in one UCS-2 segment, alone and in a concatenated message.
UCS2_SINGLE, UCS2_MULTI = 70, 67


def septets(character):
    """How many GSM-7 septets a character takes (2 for the extension table), None if not GSM-7."""
    if character == "\x1b":  # the escape code itself is not a character a phone sends
        return None
    try:
        return len(character.encode("gsm03.38"))
    except UnicodeEncodeError:
        return None


def clusters(body):
    """The body's grapheme clusters, CR and LF apart (one cluster, two characters to the calculator).

    Without the regex library (in the browser) clusters are approximated: a character joins the one
    before it when it is a combining mark, a variation selector, a skin tone or a tag, when it
    follows a zero-width joiner, or when it completes a flag (two regional indicators). Indic
    conjuncts (a virama joining two consonants) count as two there.
    """
    if regex is not None:
        return regex.findall(r"\r|\n|\X", body)
    found = []
    for character in body:
        last = found[-1] if found else "\n"
        if last not in "\r\n" and (
            unicodedata.category(character) in ("Mn", "Me", "Mc")
            or character == "\u200d"
            or last.endswith("\u200d")
            or "\U0001f3fb" <= character <= "\U0001f3ff"
            or "\U000e0020" <= character <= "\U000e007f"
            or (len(last) == 1 and _regional(last) and _regional(character))
        ):
            found[-1] += character
        else:
            found.append(character)
    return found


def _regional(character):
    return "\U0001f1e6" <= character <= "\U0001f1ff"


def segments(body):
    """How many SMS segments the body takes, the way Twilio's segment calculator counts them.

    GSM-7 when every character is in the GSM 03.38 alphabet (extension characters such as
    ``{ } [ ] ~ | ^ € \\`` take 2 septets): 160 septets, else 153 per segment. Otherwise UCS-2,
    counted in UTF-16 code units (an emoji outside the BMP takes 2): 70, else 67 per segment.
    A character (a grapheme cluster such as 👋🏽) is never split across two segments.
    """
    characters = clusters(body)
    sizes = [septets(c) if len(c) == 1 else None for c in characters]
    if all(size is not None for size in sizes):
        single, multi = GSM7_SINGLE, GSM7_MULTI
    else:
        sizes = [len(c.encode("utf-16-le")) // 2 for c in characters]
        single, multi = UCS2_SINGLE, UCS2_MULTI
    if sum(sizes) <= single:
        return 1
    count, used = 1, 0
    for size in sizes:
        if used + size > multi:
            count, used = count + 1, 0
        used += size
    return count


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
