"""The senders a setting can choose (``EMAIL_BACKEND``, ``SMS_BACKEND``): one table.

A channel names its setting in ``channels``; the setting's value names a row here. A value
without a row is a configuration error, never a silent fallback to another provider.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from config import ConfigError

from ..signin import channels
from .base import Sender
from .console import ConsoleSender
from .smtp import SmtpSender
from .twilio_sms import TwilioSender

TWILIO_SETTINGS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")


def console(app: Flask, channel: str) -> Sender:
    """Print the message (development)."""
    return ConsoleSender(channel)


def smtp(app: Flask, channel: str) -> Sender:
    """E-mail through Flask-Mail's SMTP settings."""
    return SmtpSender(domain=app.config["PUBLIC_HOST"])


def twilio(app: Flask, channel: str) -> Sender:
    """SMS through Twilio; its three settings are required in production."""
    c = app.config
    missing = [name for name in TWILIO_SETTINGS if not c.get(name)]
    if missing and c.get("ENV_NAME") == "production":
        raise ConfigError(f"{missing[0]} is required when SMS_BACKEND=twilio")
    return TwilioSender(
        c.get("TWILIO_ACCOUNT_SID") or "AC-unset",
        c.get("TWILIO_AUTH_TOKEN") or "unset",
        c.get("TWILIO_FROM_NUMBER") or "",
    )


BACKENDS: dict[str, Callable[[Flask, str], Sender]] = {
    "console": console,
    "smtp": smtp,
    "twilio": twilio,
}


def build_sender(app: Flask, channel: str) -> Sender:
    """The sender the settings choose for ``channel``; fail fast on a missing setting."""
    setting = channels.get(channel).sender or ""
    backend = app.config[setting]
    make = BACKENDS.get(backend)
    if make is None:
        raise ConfigError(f"{setting}={backend!r} must be one of: {', '.join(BACKENDS)}")
    return make(app, channel)
