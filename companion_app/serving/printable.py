"""Text from a request made safe to print or log, and to carry in an XML reply.

From, To and Body come from whoever sent the request. Printed raw, an ANSI escape repaints the
terminal and a CR or LF starts a forged log line ("signature valid"); ``printable`` shows such
characters as visible escapes instead. XML 1.0 cannot carry most control characters at all, so
``xml_safe`` replaces them with U+FFFD.
"""

import re

#: Characters that move the cursor, end a line or reorder text: C0, DEL, C1, the Unicode line and
#: paragraph separators, and the bidirectional overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: What XML 1.0's Char production excludes (https://www.w3.org/TR/xml/#charsets).
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape(found):
    char = found.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text):
    """text with control characters shown as escapes ("\\x1b", "\\n"), safe for one log line."""
    text = str(text)
    return text if text.isprintable() else _UNSAFE.sub(_escape, text)


#: A numeric character reference, as ElementTree writes one for a character it cannot encode.
_CHAR_REFERENCE = re.compile(r"&#(?:([0-9]{1,8})|x([0-9A-Fa-f]{1,8}));")


def _replace_reference(found):
    code = int(found.group(1)) if found.group(1) else int(found.group(2), 16)
    is_char = code < 0x110000 and not _NOT_XML_CHAR.match(chr(code))
    return found.group() if is_char else "\ufffd"


def xml_safe(document):
    """An XML document with every character XML 1.0 cannot carry (raw or as &#...;) made U+FFFD."""
    document = _NOT_XML_CHAR.sub("\ufffd", document)
    if "&#" in document:
        document = _CHAR_REFERENCE.sub(_replace_reference, document)
    return document
