"""Code generation and keyed hashing.

Codes are drawn with ``secrets``; Redis only ever sees HMAC-SHA256 digests keyed with a
key derived from ``SECRET_KEY``, so a dump of Redis reveals neither codes nor contacts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def derive_key(secret_key: str, purpose: str) -> bytes:
    """A sub-key of ``SECRET_KEY`` for one purpose, so no two uses share a key."""
    return hmac.new(secret_key.encode(), f"otpauth:{purpose}".encode(), hashlib.sha256).digest()


def generate_code(length: int) -> str:
    """A uniformly random code of ``length`` decimal digits (leading zeros kept)."""
    return f"{secrets.randbelow(10**length):0{length}d}"


def contact_tag(key: bytes, channel: str, contact: str) -> str:
    """The keyed hash naming a normalized contact in Redis keys and the audit trail."""
    return hmac.new(key, f"{channel}:{contact}".encode(), hashlib.sha256).hexdigest()[:32]


def hash_code(key: bytes, tag: str, code: str) -> str:
    """The keyed hash of ``code``, bound to the contact so equal codes hash differently."""
    return hmac.new(key, f"{tag}:{code}".encode(), hashlib.sha256).hexdigest()


def decoy_hash() -> str:
    """A value no code hashes to: stored for unknown contacts so their codes never match."""
    return "x" + secrets.token_hex(32)[1:]


class Hasher:
    """Keyed hashing with two sub-keys of ``SECRET_KEY``: one for contacts, one for codes."""

    def __init__(self, secret_key: str) -> None:
        self._contact_key = derive_key(secret_key, "contact")
        self._code_key = derive_key(secret_key, "code")

    def tag(self, channel: str, contact: str) -> str:
        """The keyed hash naming a normalized contact."""
        return contact_tag(self._contact_key, channel, contact)

    def code(self, tag: str, code: str) -> str:
        """The keyed hash of a code for the contact ``tag``."""
        return hash_code(self._code_key, tag, code)
