"""Delivering codes: one sender per channel behind ``Sender``, chosen by configuration.

Only this package knows SMTP and Twilio. The login service hands every issued code to
``delivery().dispatch(job)``: in ``inline`` mode a small thread pool of this process sends
it after the response (``pool``), in ``queue`` mode the Redis-backed job queue served by
``flask --app wsgi worker`` does. Either way ``policy.deliver`` decides, audits and counts;
the senders only send.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial

import redis
from flask import Flask, current_app, render_template
from flask_babel import force_locale, gettext

from .. import channels
from ..i18n import current_language
from .base import DeliveryError, FailingSender, Message, RecordingSender, Sender, SendJob
from .gates import Gates
from .ledger import SWEEPER_KEY, Sweeper
from .pool import SendPool, defer, hand_over

__all__ = [
    "Delivery",
    "DeliveryError",
    "FailingSender",
    "Message",
    "RecordingSender",
    "SendJob",
    "Sender",
    "delivery",
    "gates",
    "init_app",
    "render_message",
]
EXTENSION_KEY = "otpauth.delivery"
GATES_KEY = "otpauth.delivery_gates"


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


def render_message(channel: str, to: str, code: str, locale: str | None = None) -> Message:
    """The message for a code in ``locale`` (default: the request's language).

    From the channel's templates (``templates/email/``, ``templates/sms/``). A job sent
    after the request passes the ``locale`` the code was asked for in.
    """
    c = current_app.config
    context = {
        "code": code,
        "service": c["SITE_NAME"],
        "host": c["PUBLIC_HOST"],
        "minutes": max(c["OTP_TTL_SECONDS"] // 60, 1),
        "seconds": c["OTP_TTL_SECONDS"],
    }
    with force_locale(locale or current_language()):
        context["lang"] = current_language()
        subject = gettext("Your %(service)s sign-in code", service=c["SITE_NAME"])
        return render(channel, "otp", to, subject, context)


def render(channel: str, kind: str, to: str, subject: str, context: dict) -> Message:
    """Message ``kind`` (``otp``, ``notice``) for ``to``, from the channel's templates."""
    found = channels.get(channel)
    folder = f"{found.templates}/{kind}"
    context.setdefault("lang", current_language())
    text = render_template(f"{folder}.txt", **context)
    if not found.html:
        return Message(to=to, text=text.strip())
    html = render_template(f"{folder}.html", **context)
    return Message(to=to, subject=subject, text=text, html=html)


def status_callback_url() -> str | None:
    """Where Twilio reports an SMS's fate: our hook on PUBLIC_HOST, over HTTPS (the site is
    served over TLS in production); None on localhost, which Twilio cannot reach."""
    c = current_app.config
    host = c["PUBLIC_HOST"]
    if not host or host in ("localhost", "127.0.0.1"):
        return None  # Twilio could not reach it
    return f"https://{host}/hooks/twilio/status"  # Twilio signs the URL it was given


@dataclass
class Delivery:
    """Hands each code to the inline pool or the queue; holds each channel's sender."""

    senders: dict[str, Sender]
    mode: str = "inline"
    pool: SendPool | None = field(default=None, repr=False)

    def dispatch(self, job: SendJob) -> None:
        """Queue ``job`` for sending, the same way for every contact.

        Queue mode enqueues now (a Redis failure is the request's 503, like any outage),
        without the contact: a queued job names nobody, the worker looks the customer up.
        Inline mode hands it to the pool after the view has answered.
        """
        if self.mode == "queue":
            from .queue import enqueue

            enqueue(replace(job, to=None))
        elif self.pool is not None:
            defer(self.pool, job)


def uses_embedded_redis(app: Flask) -> bool:
    """Whether ``app`` runs on the in-process fakeredis (no other process can reach it)."""
    client = app.extensions["otpauth.redis"]
    return not app.config.get("REDIS_URL") and type(client).__module__.startswith("fakeredis")


def init_app(app: Flask) -> None:
    """Choose the senders and the mode from the settings; register ``flask worker``."""
    # Not environment settings: tuning knobs for the worker, overridable by create_app.
    app.config.setdefault("DELIVERY_RETRY_INTERVALS", (5, 15, 30, 60, 120))
    app.config.setdefault("DELIVERY_JOB_TIMEOUT", 60)
    app.config.setdefault("DELIVERY_SEND_DELAY", 0.25)  # policy.send_delay: 0.25-0.75 s
    # gates: breakers and SMS budget read once a second per process (0 in tests: each read
    # sees what the test just wrote; tests/test_delivery_state.py covers the cache itself).
    app.config.setdefault("DELIVERY_STATE_CACHE_SECONDS", 0.0 if app.testing else 1.0)
    # ledger: a hand-off with no outcome this long after its code died is audited ``lost``;
    # looked for every DELIVERY_SWEEP_SECONDS (0: never by itself; the tests call sweep()).
    app.config.setdefault("DELIVERY_LOST_GRACE_SECONDS", 30)
    app.config.setdefault("DELIVERY_SWEEP_SECONDS", 0.0 if app.testing else 15.0)
    if app.config["DELIVERY_MODE"] == "queue" and uses_embedded_redis(app):
        from config import ConfigError

        raise ConfigError(
            "DELIVERY_MODE=queue needs REDIS_URL: the worker cannot reach the embedded Redis"
        )
    from . import hooks
    from .worker import worker_command

    app.cli.add_command(worker_command)
    pool = SendPool(app) if app.config["DELIVERY_MODE"] == "inline" else None
    app.extensions[EXTENSION_KEY] = Delivery(
        senders={c.name: build_sender(app, c.name) for c in channels.sending()},
        mode=app.config["DELIVERY_MODE"],
        pool=pool,
    )
    app.extensions[GATES_KEY] = Gates(
        app.extensions["otpauth.redis"],
        failures=app.config["DELIVERY_BREAKER_FAILURES"],
        open_seconds=app.config["DELIVERY_BREAKER_SECONDS"],
        state_seconds=app.config["DELIVERY_STATE_CACHE_SECONDS"],
    )
    sweeper = Sweeper(app, app.config["DELIVERY_SWEEP_SECONDS"])
    app.extensions[SWEEPER_KEY] = sweeper
    app.before_request(sweeper.ensure_started)
    if pool is not None:
        # Registered before audit's writer, so it runs after it (Flask runs them in reverse).
        app.after_request(partial(hand_over, pool))
    hooks.init_app(app)
    app.context_processor(lambda: {"delivery_unavailable": unavailable_channels})


def unavailable_channels() -> set[str]:
    """Channels nobody can use right now (for the request page; read only when shown).

    Display only: with Redis down the page still renders (the POST will answer 503).
    """
    try:
        return gates().unavailable(current_app.config["SMS_MAX_PER_HOUR"])
    except redis.RedisError:
        from .. import metrics

        metrics.count_redis_error("web")
        return set()


def delivery() -> Delivery:
    """The current app's delivery service."""
    return current_app.extensions[EXTENSION_KEY]


def gates() -> Gates:
    """The current app's breakers and SMS budgets."""
    return current_app.extensions[GATES_KEY]
