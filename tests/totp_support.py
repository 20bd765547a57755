"""Helpers for the authenticator tests: an independent TOTP, enrolment, a clean table."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

import pytest


def hotp(secret_b32: str, step: int, digits: int = 6) -> str:
    """RFC 4226/6238 written out with hmac and struct, independent of the app and pyotp."""
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10**digits:0{digits}d}"


def step_now(offset: int = 0) -> int:
    return int(time.time()) // 30 + offset


@pytest.fixture(autouse=True)
def no_authenticators(app):
    """Rows of earlier tests (the database outlives a test) must not meet reused ids."""
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Authenticator, RecoveryCode

    with app.app_context():
        db.session.query(RecoveryCode).delete()
        db.session.query(Authenticator).delete()
        db.session.commit()


def authenticators_flush() -> None:
    """Write the audit events queued in a test request context."""
    from flask import Response

    from otpauth.signin.audit import flush

    flush(Response())


def enrol(app, owner_id: int, kind: str = "customer", at: float | None = None):
    """Enrol a fresh secret for an owner, confirmed two steps before ``at`` (default: now).

    Two steps back, so the codes around ``at`` are all later than the confirming one.
    Answers (secret, recovery codes).
    """
    from otpauth.signin import authenticators
    from otpauth.signin.otp.totp import new_secret

    confirm_at = (time.time() if at is None else at) - 60
    secret = new_secret()
    with app.test_request_context():
        codes = authenticators.confirm_enrolment(
            kind, owner_id, secret, hotp(secret, int(confirm_at) // 30), now=confirm_at
        )
        authenticators_flush()
    assert codes is not None and len(codes) == 10
    return secret, codes
