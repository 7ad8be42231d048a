"""Flask's signed-cookie session, with its signing objects built once instead of per request.

Flask builds a new URLSafeTimedSerializer for every request (to read the cookie and again to write
it), itsdangerous builds a new signer for every call, and each signer derives its HMAC key from the
secret key again. None of them holds per-request state, so here they are built once per set of keys
and reused: same keys, salt, key derivation, SHA-1 HMAC and max_age, so the same cookies pass and
fail. Flask's default digest is a small Python wrapper around hashlib.sha1 (so that a FIPS build
without SHA-1 fails only when used); hashlib.sha1 itself gives the same digest, and lets the hmac
module use OpenSSL's HMAC instead of its pure-Python fallback.
"""

import hashlib
import threading
import zlib

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import Serializer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode

#: zlib's window for a cookie: 4 KB, the most a browser (or Twilio) keeps of one cookie. zlib's
#: default 32 KB window and 128 KB hash table cost more to allocate than the cookie costs to sign.
COOKIE_WBITS = 12
COOKIE_MEMLEVEL = 2


class KeyCachingSigner(TimestampSigner):
    """itsdangerous' TimestampSigner that derives each secret key's HMAC key once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._derived = {}

    def derive_key(self, secret_key=None):
        """The derived key, as TimestampSigner derives it, computed on first use only."""
        derived = self._derived.get(secret_key)
        if derived is None:
            derived = self._derived[secret_key] = super().derive_key(secret_key)
        return derived


class SignerCachingSerializer(URLSafeTimedSerializer):
    """URLSafeTimedSerializer that makes its signer once per salt and compresses with a small window.

    The payload format is itsdangerous' own (JSON, zlib-compressed and marked with a leading "."
    only when that is shorter, then URL-safe base64), so loads() reads it unchanged.
    """

    default_signer = KeyCachingSigner

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._signers = {}

    def make_signer(self, salt=None):
        """The signer for salt (the serializer's own by default), made on first use only."""
        signer = self._signers.get(salt)
        if signer is None:
            signer = self._signers[salt] = super().make_signer(salt)
        return signer

    def dump_payload(self, obj):
        """The payload as itsdangerous' URL-safe serializers write it, compressed in a 4 KB window."""
        json = Serializer.dump_payload(self, obj)
        packer = zlib.compressobj(
            zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, COOKIE_WBITS, COOKIE_MEMLEVEL
        )
        compressed = packer.compress(json) + packer.flush()
        if len(compressed) < len(json) - 1:
            return b"." + base64_encode(compressed)
        return base64_encode(json)


class CachedSessionInterface(SecureCookieSessionInterface):
    """SecureCookieSessionInterface that reuses one serializer while the app's keys stay the same."""

    def __init__(self):
        self._lock = threading.Lock()
        self._cached = None

    def get_signing_serializer(self, app):
        """The app's serializer, rebuilt only when SECRET_KEY or SECRET_KEY_FALLBACKS change."""
        if not app.secret_key:
            return None
        fallbacks = tuple(app.config["SECRET_KEY_FALLBACKS"] or ())
        keys = (app.secret_key, fallbacks)
        cached = self._cached
        if cached is not None and cached[0] == keys:
            return cached[1]
        digest = self.digest_method
        if digest is SecureCookieSessionInterface.digest_method:  # Flask's lazy SHA-1 wrapper
            digest = hashlib.sha1
        serializer = SignerCachingSerializer(
            [*fallbacks, app.secret_key],  # itsdangerous expects the current key last
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": digest},
        )
        with self._lock:
            self._cached = (keys, serializer)
        return serializer
