"""The senders a setting can choose (``EMAIL_BACKEND``, ``SMS_BACKEND``,
``WHATSAPP_BACKEND``): one table.

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
from .msg91 import Msg91Sender
from .smtp import SmtpSender
from .twilio_sms import TwilioSender
from .whatsapp import TwilioWhatsAppSender

TWILIO_SETTINGS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")
WHATSAPP_SETTINGS = (
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_WHATSAPP_FROM",
    "TWILIO_WHATSAPP_CONTENT_SID",
)
MSG91_SETTINGS = ("MSG91_AUTH_KEY", "MSG91_SENDER_ID")


def required(app: Flask, channel: str, names: tuple[str, ...]) -> None:
    """Production refuses to start without a backend's settings (naming the first)."""
    c = app.config
    setting = channels.get(channel).sender or ""
    missing = [name for name in names if not c.get(name)]
    if missing and c.get("ENV_NAME") == "production":
        raise ConfigError(f"{missing[0]} is required when {setting}={c[setting]}")


def console(app: Flask, channel: str) -> Sender:
    """Print the message (development)."""
    return ConsoleSender(channel)


def smtp(app: Flask, channel: str) -> Sender:
    """E-mail through Flask-Mail's SMTP settings."""
    return SmtpSender(domain=app.config["PUBLIC_HOST"])


def twilio(app: Flask, channel: str) -> Sender:
    """SMS through Twilio; its three settings are required in production."""
    c = app.config
    required(app, channel, TWILIO_SETTINGS)
    return TwilioSender(
        c.get("TWILIO_ACCOUNT_SID") or "AC-unset",
        c.get("TWILIO_AUTH_TOKEN") or "unset",
        c.get("TWILIO_FROM_NUMBER") or "",
    )


def twilio_whatsapp(app: Flask, channel: str) -> Sender:
    """WhatsApp through Twilio's WhatsApp sender and an approved authentication template."""
    c = app.config
    required(app, channel, WHATSAPP_SETTINGS)
    return TwilioWhatsAppSender(
        c.get("TWILIO_ACCOUNT_SID") or "AC-unset",
        c.get("TWILIO_AUTH_TOKEN") or "unset",
        c.get("TWILIO_WHATSAPP_FROM") or "",
        c.get("TWILIO_WHATSAPP_CONTENT_SID") or "",
    )


def msg91(app: Flask, channel: str) -> Sender:
    """SMS through MSG91's HTTP API (India)."""
    c = app.config
    required(app, channel, MSG91_SETTINGS)
    return Msg91Sender(
        c.get("MSG91_AUTH_KEY") or "unset",
        c.get("MSG91_SENDER_ID") or "",
        c.get("MSG91_DLT_TEMPLATE_ID"),
        c["MSG91_BASE_URL"],
    )


# (a channel's sender setting, its value) -> the sender: "twilio" is an SMS for SMS_BACKEND
# and a WhatsApp template for WHATSAPP_BACKEND.
BACKENDS: dict[tuple[str, str], Callable[[Flask, str], Sender]] = {
    ("EMAIL_BACKEND", "console"): console,
    ("EMAIL_BACKEND", "smtp"): smtp,
    ("SMS_BACKEND", "console"): console,
    ("SMS_BACKEND", "twilio"): twilio,
    ("SMS_BACKEND", "msg91"): msg91,
    ("WHATSAPP_BACKEND", "console"): console,
    ("WHATSAPP_BACKEND", "twilio"): twilio_whatsapp,
}


def build_sender(app: Flask, channel: str) -> Sender:
    """The sender the settings choose for ``channel``; fail fast on a missing setting."""
    setting = channels.get(channel).sender or ""
    backend = app.config[setting]
    make = BACKENDS.get((setting, backend))
    if make is None:
        known = sorted(value for name, value in BACKENDS if name == setting)
        raise ConfigError(f"{setting}={backend!r} must be one of: {', '.join(known)}")
    return make(app, channel)
