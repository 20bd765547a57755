"""Authenticator apps: TOTP codes (RFC 6238), their secrets' encryption, the QR code.

Codes are HMAC-SHA1, 6 digits, 30-second steps (what every authenticator app shows by
default); ``pyotp`` computes them. Secrets are Base32 (160 bits from ``secrets``) and are
stored only as ``SecretBox`` tokens: Fernet (AES-128-CBC + HMAC-SHA256) under
``TOTP_ENCRYPTION_KEYS``, the first key encrypting and every key decrypting, so keys can
be rotated. Each key is 32 random bytes in URL-safe Base64 (``Fernet.generate_key()``);
with no keys set, one is derived from ``SECRET_KEY``.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Iterable

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app

from config import ConfigError

from .codes import derive_key

DIGITS = 6
INTERVAL = 30
DRIFT = 1  # steps accepted either side of the current one
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read aloud, typed
RECOVERY_RE = re.compile(r"^([a-z0-9]{4})-?([a-z0-9]{4})$")
EXTENSION_KEY = "otpauth.secret_box"


def new_secret() -> str:
    """A fresh Base32 secret of 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI an app scans (SHA-1, 6 digits, 30 s)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as inline SVG markup (no image request, no script)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff")
    label = 'role="img" aria-label="QR code for your authenticator app"'
    return svg.replace("<svg ", f"<svg {label} ", 1)


def step_at(now: float) -> int:
    """The RFC 6238 time step (T) of a Unix time."""
    return int(now) // INTERVAL


def code_at(secret: str, step: int, digits: int = DIGITS) -> str:
    """The code for time step ``step``: HOTP(secret, step), SHA-1, ``digits`` long."""
    return pyotp.TOTP(secret, digits=digits, interval=INTERVAL).generate_otp(step)


def window(secret: str, now: float) -> list[tuple[int, str]]:
    """(step, code) for the steps accepted at ``now``: the current one and ``DRIFT`` each side."""
    current = step_at(now)
    return [(s, code_at(secret, s)) for s in range(current - DRIFT, current + DRIFT + 1)]


def new_recovery_code() -> str:
    """A recovery code ``xxxx-xxxx`` (about 40 bits), with a letter so it is never a TOTP."""
    while True:
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(8))
        if not raw.isdigit():
            return f"{raw[:4]}-{raw[4:]}"


def canonical_code(raw: str) -> str | None:
    """An app code (6 digits) or recovery code (``xxxx-xxxx``) as typed, tidied; else None."""
    value = "".join(raw.split()).lower()
    digits = value.replace("-", "")
    if len(digits) == DIGITS and digits.isascii() and digits.isdigit():
        return digits
    match = RECOVERY_RE.match(value) if value.isascii() else None
    if match is None or (match.group(1) + match.group(2)).isdigit():
        return None
    return f"{match.group(1)}-{match.group(2)}"


def is_recovery(code: str) -> bool:
    """Whether a canonical code is a recovery code (not an app code)."""
    return "-" in code


class SecretBox:
    """Encrypts secrets with the first key; decrypts with any (``MultiFernet``)."""

    def __init__(self, keys: Iterable[bytes]) -> None:
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    def encrypt(self, secret: str) -> str:
        """The token stored in place of ``secret``."""
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        """The secret in ``token``; ``InvalidToken`` if no key opens it."""
        return self._fernet.decrypt(token.encode()).decode()

    def rotate(self, token: str) -> str:
        """``token`` re-encrypted under the first key."""
        return self._fernet.rotate(token.encode()).decode()


def box_keys(configured: tuple[str, ...], secret_key: str) -> list[bytes]:
    """The Fernet keys from TOTP_ENCRYPTION_KEYS, or one derived from SECRET_KEY."""
    if not configured:
        return [base64.urlsafe_b64encode(derive_key(secret_key, "totp-secrets"))]
    keys = [k.encode() for k in configured]
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError:
            raise ConfigError(
                f"TOTP_ENCRYPTION_KEYS: key {position} is not 32 bytes in URL-safe Base64 "
                "(make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            ) from None
    return keys


def init_app(app: Flask) -> None:
    """Build the app's SecretBox; a malformed key stops the start."""
    keys = box_keys(tuple(app.config["TOTP_ENCRYPTION_KEYS"]), app.config["SECRET_KEY"])
    app.extensions[EXTENSION_KEY] = SecretBox(keys)


def secret_box() -> SecretBox:
    """The current app's SecretBox."""
    return current_app.extensions[EXTENSION_KEY]


__all__ = ["InvalidToken", "SecretBox", "new_secret", "provisioning_uri", "qr_svg", "secret_box"]
