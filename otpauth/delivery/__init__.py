"""Delivering codes: one sender per channel behind ``Sender``, chosen by configuration.

Only this package knows SMTP and Twilio. The login service hands every issued code to
``delivery().dispatch(job)``: in ``inline`` mode a small thread pool of this process sends
it after the response (``pool``), in ``queue`` mode the Redis-backed job queue served by
``flask --app wsgi worker`` does. Either way ``policy.deliver`` decides, audits and counts;
the senders only send. Inside the package imports run one way: base, gates, messages,
service < policy < pool, jobs, queue < worker < this module, which wires them together.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from flask import Flask

from config import ConfigError

from ..signin import channels
from . import fallback, queue
from .backends import build_sender
from .base import DeliveryError, FailingSender, Message, RecordingSender, Sender, SendJob
from .gates import Gates
from .ledger import SWEEPER_KEY, Sweeper
from .messages import render, render_message, status_callback_url
from .pool import SendPool, defer, hand_over
from .service import (
    EXTENSION_KEY,
    GATES_KEY,
    Delivery,
    delivery,
    gates,
    unavailable_channels,
    uses_embedded_redis,
)
from .sms_check import enforce
from .worker import worker_command

__all__ = [
    "EXTENSION_KEY",
    "GATES_KEY",
    "Delivery",
    "DeliveryError",
    "FailingSender",
    "Message",
    "RecordingSender",
    "SendJob",
    "Sender",
    "build_sender",
    "delivery",
    "gates",
    "init_app",
    "render",
    "render_message",
    "status_callback_url",
    "unavailable_channels",
    "uses_embedded_redis",
]


def enqueue_nameless(job: SendJob) -> None:
    """Queue mode's hand-off: a queued job names nobody, the worker looks the customer up."""
    queue.enqueue(replace(job, to=None))


def init_app(app: Flask) -> None:
    """Choose the senders and the mode from the settings; register ``flask worker``."""
    if app.config["DELIVERY_MODE"] == "queue" and uses_embedded_redis(app):
        raise ConfigError(
            "DELIVERY_MODE=queue needs REDIS_URL: the worker cannot reach the embedded Redis"
        )
    app.cli.add_command(worker_command)
    inline = app.config["DELIVERY_MODE"] == "inline"
    # Inline mode's timers (a WhatsApp code's fallback) run on the pool's timer thread.
    pool = SendPool(app, timer=fallback.due) if inline else None
    offered = {c.name for c in channels.offered(app.config)}
    app.extensions[EXTENSION_KEY] = Delivery(
        senders={
            c.name: build_sender(app, c.name) for c in channels.sending() if c.name in offered
        },
        hand_off=enqueue_nameless if pool is None else partial(defer, pool),
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
    app.context_processor(lambda: {"delivery_unavailable": unavailable_channels})
    enforce(app)  # every language's SMS against the registered DLT template
