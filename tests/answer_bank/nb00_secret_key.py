"""Notebook 00, make a secret key: my_key."""

import hashlib
import os
import secrets

from tests.answer_bank import right, wrong

CHECK = "check_secret_key"


def key(value):
    """An answer that is the value itself."""
    return lambda: (value,)


ANSWERS = [
    right(CHECK, "token_hex(32)", lambda: (secrets.token_hex(32),)),
    right(CHECK, "token_hex(16), 32 characters", lambda: (secrets.token_hex(16),)),
    right(CHECK, "token_urlsafe(32)", lambda: (secrets.token_urlsafe(32),)),
    right(CHECK, "token_bytes(32), bytes", lambda: (secrets.token_bytes(32),)),
    right(CHECK, "os.urandom(32).hex()", lambda: (os.urandom(32).hex(),)),
    wrong(CHECK, "not written yet", key(None), "`my_key` is not written yet"),
    wrong(CHECK, "token_hex(8), too short", lambda: (secrets.token_hex(8),), "only 16 characters"),
    wrong(CHECK, "a placeholder word", key("super-secret-key"), "a placeholder or a phrase"),
    wrong(
        CHECK,
        "a placeholder padded to 32",
        key("changeme" * 4),
        "repeats the same few characters or a pattern",
    ),
    wrong(CHECK, "one letter repeated", key("a" * 40), "repeats the same few characters"),
    wrong(
        CHECK,
        "hex digits typed in order",
        key("0123456789abcdef" * 4),
        "repeats the same few characters or a pattern",
    ),
    wrong(
        CHECK,
        "the alphabet and digits",
        key("abcdefghijklmnopqrstuvwxyz0123456789"),
        "repeats the same few characters or a pattern",
    ),
    wrong(
        CHECK,
        "a phrase someone typed",
        key("my very own secret key that nobody will guess"),
        "a placeholder or a phrase that people type",
    ),
    wrong(
        CHECK,
        "the hash of a word",
        key(hashlib.sha256(b"password").hexdigest()),
        "the hash of a well-known word",
    ),
    wrong(
        CHECK,
        "the function, not called",
        key(secrets.token_hex),
        "should be a string (call secrets.token_hex(32)), not a function (token_hex)",
    ),
    wrong(CHECK, "a number", key(12345), "should be a string"),
]
