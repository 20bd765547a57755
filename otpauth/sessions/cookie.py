"""Flask's signed-cookie session, with the signing work a cookie needs done once.

Flask builds a new serializer for the cookie at every request's open and save (and
building one makes a trial dump), derives the signing key anew (an HMAC) for every
signature, and tries to compress each cookie with zlib. Here one serializer per key set
serves every request and thread, each key is derived once, and the few hundred bytes of
a session cookie are not compressed. The cookie's format, signature and contents are
Flask's own: cookies written before this still load, and the other way round.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import Serializer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, want_bytes


class _CookieSigner(TimestampSigner):
    """itsdangerous' timestamp signer, deriving each key once, not per signature."""

    _derived: dict[tuple, bytes] = {}  # (key, salt, derivation, digest) -> derived key

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        raw = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        which = (raw, self.salt, self.key_derivation, self.digest_method)
        found = self._derived.get(which)
        if found is None:
            found = self._derived[which] = super().derive_key(secret_key)
        return found


class _CookieSerializer(URLSafeTimedSerializer):
    """Flask's cookie serializer, writing the payload uncompressed (it still reads both)."""

    default_signer = _CookieSigner

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


class CookieSessions(SecureCookieSessionInterface):
    """``SecureCookieSessionInterface`` reusing its serializer while the keys are the same."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        fallbacks = tuple(app.config["SECRET_KEY_FALLBACKS"] or ())
        keys = (*fallbacks, app.secret_key)  # itsdangerous signs with the last one
        found = self._serializers.get(keys)
        if found is None:
            found = self._serializers[keys] = _CookieSerializer(
                list(keys),
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
        return found
