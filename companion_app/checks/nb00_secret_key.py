"""Notebook 00: a secret key is long, random, and not written in the notebook."""

import hashlib
import re

from companion_app.checks.cells import in_typed_code, judges
from companion_app.checks.verdict import Verdict, not_written

#: Keys that people type, and attackers try first.
PLACEHOLDER_KEYS = {"secret", "changeme", "dev", "password", "super-secret-key", "secret_key"}


#: Hex digests of those words: a key derived from a guessable word is as guessable as the word.
HASHED_PLACEHOLDERS = {
    getattr(hashlib, name)(word.encode()).hexdigest()
    for word in PLACEHOLDER_KEYS
    for name in ("md5", "sha1", "sha256", "sha512")
}


def _repeats_a_pattern(key):
    """True when the key is a shorter string repeated, or mostly a run like 'abcd…' or '1234…'."""
    for size in range(1, len(key) // 2 + 1):
        if len(key) % size == 0 and key[:size] * (len(key) // size) == key:
            return True
    steps = [ord(b) - ord(a) for a, b in zip(key, key[1:], strict=False)]
    return sum(step in (0, 1, -1) for step in steps) > len(steps) // 2


@judges("my_key")
def check_secret_key(key):
    """Notebook 00: a secret key is a long random string, not a word someone could guess."""
    title = "A good secret key"
    missing = not_written(
        title,
        "my_key",
        key,
        "a string (call secrets.token_hex(32))",
        lambda k: isinstance(k, (str, bytes)),
    )
    if missing is not None:
        return missing
    verdict = Verdict(title)
    text = key.decode("latin-1") if isinstance(key, bytes) else key
    unit = "bytes" if isinstance(key, bytes) else "characters"
    verdict.ok("it is a string" if isinstance(key, str) else "it is random bytes")
    verdict.expect(
        len(text) >= 32,
        f"it is {len(text)} {unit} long (32 or more)",
        f"it is only {len(text)} {unit} long: use at least 32 (secrets.token_hex(32) gives 64)",
    )
    verdict.expect(
        len(set(text)) >= 10 and not _repeats_a_pattern(text),
        "it mixes many different characters",
        "it repeats the same few characters or a pattern: let the secrets module choose them",
    )
    verdict.expect(
        text.strip().lower() not in PLACEHOLDER_KEYS
        and not (isinstance(key, str) and re.search(r"\s", key)),
        "it is not a well-known placeholder",
        "it is a placeholder or a phrase that people type and attackers try first: "
        "use secrets.token_hex(32)",
    )
    if text.lower() in HASHED_PLACEHOLDERS:
        verdict.fail(
            "it is the hash of a well-known word, which anyone can compute: hashing adds no "
            "secrecy, use secrets.token_hex(32)"
        )
    if in_typed_code(text):
        verdict.fail(
            "it is written out in your code, so everyone who reads the notebook knows it: "
            "make it with secrets.token_hex(32) instead of typing or pasting it"
        )
    return verdict
