"""One-time codes: generation and keyed hashing (``codes``), their Redis store (``store``)."""

from __future__ import annotations

from flask import Flask, current_app

from ...platform.redis import get_redis
from . import totp
from .codes import Hasher
from .store import Limits, OtpStore

STORE_KEY = "otpauth.otp_store"
HASHER_KEY = "otpauth.hasher"


def init_app(app: Flask) -> None:
    """Build the store and the hasher from the app's settings (after platform.redis)."""
    c = app.config
    limits = Limits(
        ttl=c["OTP_TTL_SECONDS"],
        max_attempts=c["OTP_MAX_ATTEMPTS"],
        cooldown=c["OTP_RESEND_COOLDOWN_SECONDS"],
        max_requests=c["OTP_MAX_REQUESTS"],
        window=c["OTP_REQUEST_WINDOW_SECONDS"],
        max_failures_per_day=c["OTP_MAX_FAILURES_PER_DAY"],
    )
    with app.app_context():
        app.extensions[STORE_KEY] = OtpStore(get_redis(), limits)
    app.extensions[HASHER_KEY] = Hasher(c["SECRET_KEY"])
    totp.init_app(app)


def otp_store() -> OtpStore:
    """The current app's code store."""
    return current_app.extensions[STORE_KEY]


def hasher() -> Hasher:
    """The current app's keyed hasher."""
    return current_app.extensions[HASHER_KEY]
