"""The worker's job: open a sealed message, send it, retry temporary failures in time.

A failure is final when it is permanent (SMTP 5xx, an invalid number), when the retries
are used up, or when the next try would come after the code's deadline. A final failure
is written to the audit trail as ``otp_send_failed`` (the durable record and the count:
``failure_count``), releases the contact's resend cooldown so the customer may ask again
at once, and fails the RQ job, which stays in RQ's failed registry until its code dies.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from flask import current_app
from rq import Retry, get_current_job
from sqlalchemy import func, select

from .. import audit
from ..contacts import mask
from ..extensions import db
from ..models import AuthEvent, Customer
from ..otp import hasher, otp_store
from .base import DeliveryError, Message
from .sealing import unseal

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """The message was not sent and will not be retried; fails the RQ job."""


def deliver(token: bytes) -> Retry | None:
    """Send one sealed message; answer a ``Retry`` for a temporary failure with time left."""
    from . import delivery

    channel, message, deadline = unseal(current_app.config["SECRET_KEY"], token)
    if time.time() >= deadline:
        give_up(channel, message, "the code expired before it could be sent")
    try:
        delivery().senders[channel].send(message)
    except DeliveryError as exc:
        retry = retry_for(exc, deadline)
        if retry is None:
            give_up(channel, message, str(exc))
        log.info("delivery: %s send failed (%s); will retry", channel, exc)
        return retry
    except Exception as exc:  # a bug in a sender: still audited, never silently lost
        give_up(channel, message, f"unexpected {type(exc).__name__}")
    log.info("delivery: %s sent to %s", channel, mask(channel, message.to))
    return None


def retry_for(exc: DeliveryError, deadline: float) -> Retry | None:
    """The ``Retry`` for another try, or None when there is no point or no time left."""
    intervals = list(current_app.config["DELIVERY_RETRY_INTERVALS"])
    job = get_current_job()
    done = (job.number_of_retries or 0) if job is not None else len(intervals)
    if not exc.temporary or done >= len(intervals):
        return None
    if time.time() + intervals[done] >= deadline:
        return None  # the code would be dead before the next try
    return Retry(max=len(intervals), interval=intervals)


def give_up(channel: str, message: Message, reason: str) -> None:
    """Audit, count and log a final failure, free the cooldown, fail the job."""
    tag = hasher().tag(channel, message.to)
    column = Customer.contact_column(channel)
    customer_id = db.session.scalar(select(Customer.id).where(column == message.to))
    audit.record("otp_send_failed", customer_id=customer_id, channel=channel, contact_hash=tag)
    otp_store().release_cooldown(tag)
    shown = mask(channel, message.to)
    log.warning("delivery: %s send to %s failed for good: %s", channel, shown, reason)
    raise DeliveryFailed(reason) from None  # the cause is in the warning above


def failure_count(since: datetime) -> int:
    """How many sends failed for good since ``since`` (inline and queued alike)."""
    query = select(func.count()).where(AuthEvent.event == "otp_send_failed", AuthEvent.at >= since)
    return db.session.scalar(query) or 0
