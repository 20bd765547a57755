"""The ledger of hand-offs: every code handed to delivery is sent or audited as not sent.

SQL is the ledger, because Redis (the queue, the scheduled retries) may come back empty.
A code handed to delivery is audited ``otp_queued`` with its ``delivery_id`` (the code's
id) in queue and inline mode alike, and its outcome (``otp_sent``, ``otp_send_failed``,
``otp_send_skipped``) repeats that id. ``sweep`` finds the customers' hand-offs older than
the code's lifetime plus ``DELIVERY_LOST_GRACE_SECONDS`` with no outcome (a job lost with
a flushed Redis, a worker or gunicorn worker killed mid-send, a retry never run) and audits
each ``otp_send_failed`` with reason ``lost``. A stranger's hand-off (no customer) expects
no outcome: nothing is sent to nobody.

Who sweeps: ``Sweeper``, a thread of every web process and of the queue worker, every
``DELIVERY_SWEEP_SECONDS``; one of them per period, elected by a Redis key (``SET NX`` with
a TTL). A lost hand-off is thus audited within the code's lifetime + grace + one period
(300 + 30 + 15 s by default), whichever process dies (while Redis is down, after it is
back: no code is issued meanwhile).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from datetime import datetime, timedelta

import redis
from flask import Flask, current_app
from sqlalchemy import Row, and_, exists, select
from sqlalchemy.orm import aliased

from ..platform.extensions import db
from ..platform.logs import scrubbed_traceback
from ..platform.redis import get_redis
from ..signin import audit
from ..signin.models import AuthEvent, utcnow

log = logging.getLogger(__name__)
SWEEPER_KEY = "otpauth.delivery_sweeper"  # the app's Sweeper, in app.extensions
LOCK_KEY = "delivery:{sweep}"  # held by this period's sweeper [TTL: the period]
HORIZON = timedelta(days=1)  # older hand-offs are history, not lost jobs to report now
BATCH = 500
HANDOFFS = ("otp_queued", "otp_fallback")  # a code handed to delivery (a fallback's fresh one)


def lost_handoffs(cutoff: datetime, limit: int = BATCH) -> list[Row]:
    """Customers' hand-offs (``otp_queued``) older than ``cutoff`` with no outcome, oldest
    first: their delivery_id, customer_id, channel and contact_hash."""
    outcome = aliased(AuthEvent)
    answered = exists().where(
        and_(outcome.delivery_id == AuthEvent.delivery_id, outcome.event.not_in(HANDOFFS))
    )
    columns = (AuthEvent.delivery_id, AuthEvent.customer_id, AuthEvent.channel)
    query = (
        select(*columns, AuthEvent.contact_hash)
        .where(
            AuthEvent.event.in_(HANDOFFS),
            AuthEvent.at < cutoff,
            AuthEvent.at >= cutoff - HORIZON,
            AuthEvent.customer_id.is_not(None),
            AuthEvent.delivery_id.is_not(None),
            ~answered,
        )
        .order_by(AuthEvent.at)
        .limit(limit)
    )
    return list(db.session.execute(query).all())


def sweep(now: datetime | None = None) -> int:
    """Audit every lost hand-off as ``otp_send_failed`` (reason ``lost``); answer how many."""
    c = current_app.config
    late = timedelta(seconds=c["OTP_TTL_SECONDS"] + c["DELIVERY_LOST_GRACE_SECONDS"])
    lost = lost_handoffs((now or utcnow()) - late)
    for event in lost:
        audit.record(
            "otp_send_failed",
            customer_id=event.customer_id,
            channel=event.channel,
            contact_hash=event.contact_hash,
            reason="lost",
            delivery_id=event.delivery_id,
        )
    if lost:
        log.warning("delivery: %d code(s) neither sent nor failed: audited as lost", len(lost))
    db.session.remove()
    return len(lost)


def elected(client: redis.Redis, seconds: float) -> bool:
    """Whether this process sweeps this period: the first to ask.

    Redis down: nobody (every process would sweep, and audit the same hand-off twice); no
    code is issued meanwhile, and the first period after the outage finds what was lost.
    """
    try:
        return bool(client.set(LOCK_KEY, os.getpid(), nx=True, ex=max(int(seconds), 1)))
    except redis.RedisError:
        return False


class Sweeper:
    """A daemon thread that sweeps every ``interval`` seconds when elected (one per process,
    started by the first request, or by the worker; a forked process starts its own)."""

    def __init__(self, app: Flask, interval: float) -> None:
        self.app, self.interval = app, interval
        self._pid = 0
        self._lock = threading.Lock()
        self.stopped = threading.Event()

    def ensure_started(self) -> None:
        if self.interval <= 0 or self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                # Stopped at exit: a sweep must not run (and log) once the app's database or
                # logging is being torn down.
                atexit.register(self.stopped.set)
                threading.Thread(target=self._run, name="otpauth-sweep", daemon=True).start()

    def _run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.run_once()

    def run_once(self) -> int:
        """One period: sweep if elected; never raises (logged in one line)."""
        try:
            with self.app.app_context():
                if elected(get_redis(), self.interval):
                    return sweep()
        except Exception as exc:  # the database down, a bug: the next period tries again
            log.error("delivery: lost-job sweep failed: %s", scrubbed_traceback(exc))
        return 0
