"""An app's delivery service: each channel's sender, the hand-off of a code, the gates.

``init_app`` (the package's) builds them; the policy, the notices and the pages reach them
through ``delivery()`` and ``gates()``, which need nothing above this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import redis
from flask import Flask, current_app

from ..platform import metrics
from ..signin import channels
from .base import Sender, SendJob
from .gates import Gates

EXTENSION_KEY = "otpauth.delivery"
GATES_KEY = "otpauth.delivery_gates"


class Backlog(Protocol):
    """What /metrics reads of the inline pool."""

    pending: int
    workers: int


@dataclass
class Delivery:
    """Hands each code to the inline pool or the queue; holds each channel's sender.

    ``hand_off`` is the mode's way (``init_app`` chooses it): queue mode enqueues now (a
    Redis failure is the request's 503, like any outage), without the contact; inline mode
    hands it to the pool after the view has answered.
    """

    senders: dict[str, Sender]
    hand_off: Callable[[SendJob], None] = field(repr=False)
    mode: str = "inline"
    pool: Backlog | None = field(default=None, repr=False)

    def dispatch(self, job: SendJob) -> None:
        """Queue ``job`` for sending, the same way for every contact."""
        self.hand_off(job)


def uses_embedded_redis(app: Flask) -> bool:
    """Whether ``app`` runs on the in-process fakeredis (no other process can reach it)."""
    client = app.extensions["otpauth.redis"]
    return not app.config.get("REDIS_URL") and type(client).__module__.startswith("fakeredis")


def unavailable_channels() -> set[str]:
    """Channels nobody can use right now (for the request page; read only when shown).

    Display only: with Redis down the page still renders (the POST will answer 503).
    """
    try:
        config = current_app.config
        budgets = {c.name: channels.budgets(config, c.name)[0] for c in channels.sending()}
        return gates().unavailable(budgets)
    except redis.RedisError:
        metrics.count_redis_error("web")
        return set()


def delivery() -> Delivery:
    """The current app's delivery service."""
    return current_app.extensions[EXTENSION_KEY]


def gates() -> Gates:
    """The current app's breakers and SMS budgets."""
    return current_app.extensions[GATES_KEY]
