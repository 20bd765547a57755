"""Delivering codes: one sender per channel behind ``Sender``, chosen by configuration.

Only this package knows SMTP and Twilio. Views call ``delivery().send_code(...)``; in
``inline`` mode the message is sent inside the request, in ``queue`` mode it is handed to
the Redis-backed job queue served by ``flask --app wsgi worker``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, render_template

from config import SERVICE_NAME

from .. import channels
from .base import DeliveryError, FailingSender, Message, RecordingSender, Sender

__all__ = [
    "Delivery",
    "DeliveryError",
    "FailingSender",
    "Message",
    "RecordingSender",
    "Sender",
    "delivery",
    "init_app",
    "render_message",
]
EXTENSION_KEY = "otpauth.delivery"


def build_sender(app: Flask, channel: str) -> Sender:
    """The sender the settings choose for ``channel``; fail fast on a missing setting."""
    c = app.config
    backend = c[channels.get(channel).sender or ""]
    if backend == "console":
        from .console import ConsoleSender

        return ConsoleSender(channel)
    if backend == "smtp":
        from .smtp import SmtpSender

        return SmtpSender(domain=c["PUBLIC_HOST"])
    from config import ConfigError

    from .twilio_sms import TwilioSender

    missing = [
        n for n in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER") if not c.get(n)
    ]
    if missing and c.get("ENV_NAME") == "production":
        raise ConfigError(f"{missing[0]} is required when SMS_BACKEND=twilio")
    return TwilioSender(
        c.get("TWILIO_ACCOUNT_SID") or "AC-unset",
        c.get("TWILIO_AUTH_TOKEN") or "unset",
        c.get("TWILIO_FROM_NUMBER") or "",
    )


def render_message(channel: str, to: str, code: str) -> Message:
    """The message text for a code, from the channel's templates (``templates/email/``...)."""
    c = current_app.config
    context = {
        "code": code,
        "service": SERVICE_NAME,
        "host": c["PUBLIC_HOST"],
        "minutes": max(c["OTP_TTL_SECONDS"] // 60, 1),
        "seconds": c["OTP_TTL_SECONDS"],
    }
    return render(channel, "otp", to, f"Your {SERVICE_NAME} sign-in code", context)


def render(channel: str, kind: str, to: str, subject: str, context: dict) -> Message:
    """Message ``kind`` (``otp``, ``notice``) for ``to``, from the channel's templates."""
    found = channels.get(channel)
    folder = f"{found.templates}/{kind}"
    text = render_template(f"{folder}.txt", **context)
    if not found.html:
        return Message(to=to, text=text.strip())
    html = render_template(f"{folder}.html", **context)
    return Message(to=to, subject=subject, text=text, html=html)


@dataclass
class Delivery:
    """Routes each message to its channel's sender, inline or through the queue."""

    senders: dict[str, Sender]
    mode: str = "inline"

    def send_code(self, channel: str, to: str, code: str) -> None:
        """Send (or enqueue) the code message; raise ``DeliveryError`` if that fails."""
        message = render_message(channel, to, code)
        if self.mode == "queue":
            from .queue import enqueue

            enqueue(channel, message, ttl=current_app.config["OTP_TTL_SECONDS"])
        else:
            self.senders[channel].send(message)


def uses_embedded_redis(app: Flask) -> bool:
    """Whether ``app`` runs on the in-process fakeredis (no other process can reach it)."""
    client = app.extensions["otpauth.redis"]
    return not app.config.get("REDIS_URL") and type(client).__module__.startswith("fakeredis")


def init_app(app: Flask) -> None:
    """Choose the senders and the mode from the settings; register ``flask worker``."""
    # Not environment settings: tuning knobs for the worker, overridable by create_app.
    app.config.setdefault("DELIVERY_RETRY_INTERVALS", (5, 15, 30, 60, 120))
    app.config.setdefault("DELIVERY_JOB_TIMEOUT", 60)
    if app.config["DELIVERY_MODE"] == "queue" and uses_embedded_redis(app):
        from config import ConfigError

        raise ConfigError(
            "DELIVERY_MODE=queue needs REDIS_URL: the worker cannot reach the embedded Redis"
        )
    from .worker import worker_command

    app.cli.add_command(worker_command)
    app.extensions[EXTENSION_KEY] = Delivery(
        senders={c.name: build_sender(app, c.name) for c in channels.sending()},
        mode=app.config["DELIVERY_MODE"],
    )


def delivery() -> Delivery:
    """The current app's delivery service."""
    return current_app.extensions[EXTENSION_KEY]
