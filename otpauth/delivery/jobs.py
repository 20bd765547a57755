"""The worker's job: open a sealed ``SendJob`` and try it once under the delivery policy.

The policy (``policy.deliver``) decides and audits; this module maps its outcome onto RQ:
a temporary failure with time left becomes a ``Retry`` with backoff (RQ schedules it; the
worker's ``pulse`` thread moves it into the queue when due), a final failure
fails the RQ job (``DeliveryFailed``, which the worker records without a traceback: the
policy has already written the one WARNING line), anything else finishes it.
"""

from __future__ import annotations

import time
from datetime import datetime

from flask import current_app
from rq import Retry, get_current_job
from sqlalchemy import func, select

from ..platform.extensions import db
from ..signin.models import AuthEvent
from .fallback import due
from .policy import Outcome, send_delay
from .policy import deliver as deliver_job
from .sealing import unseal


class DeliveryFailed(Exception):
    """The message was not sent and will not be retried; fails the RQ job quietly."""


def deliver(token: bytes) -> Retry | None:
    """Try one sealed job; answer a ``Retry`` for a temporary failure with time left."""
    job = unseal(current_app.config["SECRET_KEY"], token)
    intervals = list(current_app.config["DELIVERY_RETRY_INTERVALS"])
    rq_job = get_current_job()
    done = (rq_job.number_of_retries or 0) if rq_job is not None else len(intervals)
    if done == 0 and rq_job is not None and rq_job.enqueued_at is not None:
        hold(rq_job.enqueued_at.timestamp())
    next_in = intervals[done] if done < len(intervals) else None
    outcome = deliver_job(job, next_retry_in=next_in)
    if outcome is Outcome.RETRY:
        return Retry(max=len(intervals), interval=intervals)
    if outcome is Outcome.FAILED:
        raise DeliveryFailed(f"{job.channel} send failed for good")
    return None


def fall_back(token: bytes) -> None:
    """A WhatsApp code's timer, run by the worker when due: SMS unless it was delivered."""
    due(unseal(current_app.config["SECRET_KEY"], token))


def hold(enqueued_at: float) -> None:
    """Start a fresh job no sooner than DELIVERY_SEND_DELAY after its request.

    The customer's browser loads the verify page right after the request; a send running
    meanwhile (this worker's CPU, the database write) would slow that page for customers
    only. A job already that old (a backlog) starts at once: the delay costs no throughput.
    """
    delay = send_delay(current_app.config["DELIVERY_SEND_DELAY"])
    wait = enqueued_at + delay - time.time()
    if wait > 0:
        time.sleep(wait)


def failure_count(since: datetime) -> int:
    """How many sends failed for good since ``since`` (inline and queued alike)."""
    query = select(func.count()).where(AuthEvent.event == "otp_send_failed", AuthEvent.at >= since)
    return db.session.scalar(query) or 0
