"""Delivery policy: what may be sent, and what a send's outcome means.

One place for both paths. Before a code is stored: ``routable`` (SMS regions, mobile
numbers), ``prefix_under_attack`` (counts the SMS requests of a number prefix) and ``admit``
(breaker, the global SMS budget). After: ``deliver`` runs a ``SendJob``, on the inline pool's
thread or in the queue worker alike: it finds the recipient, skips a code that is no longer
live or whose number prefix has spent its budget of sends, sends, feeds the breaker, audits
(``otp_sent``, ``otp_send_failed`` with its reason, ``otp_send_skipped``), times the send
for /metrics and writes one log line.
The senders only send. A failure never frees the contact's cooldown: the customer then
sees exactly what a stranger sees (a code that never comes) and waits as a stranger would.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from enum import Enum

import phonenumbers
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from ..platform import metrics
from ..platform.catalog import lazy_gettext as _l
from ..platform.extensions import db
from ..signin import audit, channels
from ..signin.channels import mask
from ..signin.models import Customer
from ..signin.otp import hasher, otp_store
from .base import DeliveryError, Recipient, SendJob
from .dlt import segments
from .fallback import fall_back
from .gates import Admission, Ticket
from .messages import render_message, status_callback_url
from .service import delivery, gates

log = logging.getLogger(__name__)

UNROUTABLE = _l("We can't send text messages to this number.")
MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


class Outcome(Enum):
    """What became of one try at a ``SendJob``."""

    SENT = "sent"
    NO_RECIPIENT = "dropped: no recipient"
    SKIPPED = "skipped: code no longer live"
    RETRY = "failed"  # the log line's detail says when the next try comes
    FAILED = "failed for good"


def unavailable_message(channel: str) -> str:
    """The 503 text for a channel nobody can use right now, offering the other one."""
    found = channels.get(channel)
    return f"{found.unavailable}. {found.instead}"


def send_delay(base: float) -> float:
    """How long after its request a fresh send starts: ``base`` to three times ``base``.

    A send costs its process CPU (and the database a write) that a stranger's dropped job
    does not quite match; started at once it would overlap the page the customer's browser
    loads next and slow it. Started later, at a random moment, it lands on other requests,
    customers' and strangers' alike.
    """
    return random.uniform(base, 3 * base) if base > 0 else 0.0


def routable(number: str) -> bool:
    """Whether SMS may go to ``number`` (E.164): a mobile number of an allowed region."""
    allowed = current_app.config["SMS_ALLOWED_REGIONS"]
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return False
    if allowed and phonenumbers.region_code_for_number(parsed) not in allowed:
        return False
    return phonenumbers.number_type(parsed) in MOBILE_TYPES


def sms_prefix(number: str) -> str:
    """The budget's number prefix: the E.164 number without its last four digits."""
    return number[:-4]


def admit(channel: str) -> Ticket:
    """The channel-wide gates for one send: breaker, then the channel's global budget
    (counted, metered channels only)."""
    per_hour, _ = channels.budgets(current_app.config, channel)
    return gates().admit(channel, per_hour=per_hour)


def prefix_under_attack(prefix: str, channel: str) -> bool:
    """Count a request through ``channel`` for ``prefix``; whether the prefix now needs a
    proof of work."""
    _, per_prefix = channels.budgets(current_app.config, channel)
    return gates().ask(prefix, per_prefix, channel)


def deliver(job: SendJob, next_retry_in: float | None = None) -> Outcome:
    """Try ``job`` once. ``next_retry_in``: seconds to the next try, None if none is left."""
    started = time.perf_counter()
    try:
        customer = recipient(job)  # the same look-up (or none) and Redis read for every job
    except SQLAlchemyError as exc:  # e.g. the connection terminated mid-query
        return _lookup_failed(job, next_retry_in, exc, started)
    live = otp_store().live_code_id(job.tag)
    if customer is None:
        # The same CPU work as a real message, so a stranger's job loads this process (and
        # the pages it serves meanwhile) as much as a customer's; then it is dropped.
        render_message(
            job.carrier, channels.get(job.carrier).placeholder or "", job.code, job.locale
        )
        if job.customer_id:  # a customer's code (deactivated, contact changed): say so
            _audit("otp_send_skipped", job, Recipient(int(job.customer_id), ""), "no_recipient")
        return _done(job, None, Outcome.NO_RECIPIENT, started)
    if time.time() >= job.deadline:
        return _give_up(job, customer, "expired", "the code expired before it went out", started)
    if live != job.code_id:
        _audit("otp_send_skipped", job, customer, "superseded" if live else "gone")
        return _done(job, customer, Outcome.SKIPPED, started)
    return _send(job, customer, next_retry_in, started)


def recipient(job: SendJob) -> Recipient | None:
    """The active customer the job's code is for, if the contact is still theirs.

    A job from an inline request carries what that request found a moment ago (customer
    or stranger alike: no SQL for either); the rest are looked up (one SELECT, by id, for
    every job, a stranger's too).
    """
    if job.to is not None:
        return Recipient(int(job.customer_id), job.to) if job.customer_id and job.to else None
    customer = db.session.get(Customer, int(job.customer_id or 0))
    if customer is None or not customer.active:
        return None
    contact = customer.contact(job.channel)
    if contact is None or hasher().tag(job.channel, contact) != job.tag:
        return None  # the contact changed since the request: this code is not for it
    return Recipient(customer.id, contact)


def _lookup_failed(
    job: SendJob, next_retry_in: float | None, exc: SQLAlchemyError, started: float
) -> Outcome:
    """The database failed the recipient's look-up: nothing was sent, so this is a temporary
    failure like the provider's (retried while the code lives, else audited as given up)."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass  # a dead connection: the worker discards the session at the job's end
    error = DeliveryError(f"database unavailable: {type(exc).__name__}", temporary=True)
    reason = failure_reason(error, next_retry_in, job.deadline)
    if reason is None:
        retry = f"will retry in {next_retry_in:g} s"
        return _done(job, None, Outcome.RETRY, started, detail=f"{retry}: {error}")
    if not job.customer_id:  # a stranger's job: nothing owed, nothing to audit
        return _done(job, None, Outcome.FAILED, started, detail=f"{reason}: {error}")
    return _give_up(job, Recipient(int(job.customer_id), ""), reason, str(error), started)


def _send(
    job: SendJob, customer: Recipient, next_retry_in: float | None, started: float
) -> Outcome:
    carrier = channels.get(job.carrier)
    if carrier.metered and not gates().reserve_send(
        sms_prefix(customer.contact), _per_prefix(carrier.name), carrier.name
    ):
        # The prefix's budget counts sends (to customers) only: spent, this one is not sent.
        _audit("otp_send_skipped", job, customer, "prefix_budget")
        return _done(job, customer, Outcome.SKIPPED, started, detail="prefix budget spent")
    message = render_message(carrier.name, customer.contact, job.code, job.locale)
    if carrier.metered:  # the provider reports each message's fate (a fallback: which code)
        about = job.code_id if carrier.fallback else None
        message = dataclasses.replace(message, status_callback=status_callback_url(about))
    sent = time.perf_counter()
    try:
        try:
            delivery().senders[carrier.name].send(message)
        except DeliveryError:
            raise
        except Exception as exc:  # a bug in a sender: still audited, never silently lost
            raise DeliveryError(f"unexpected {type(exc).__name__}", temporary=False) from exc
    except DeliveryError as exc:
        metrics.observe_delivery(carrier.name, time.perf_counter() - sent)
        _feed_breaker(gates(), carrier.name, ok=False)
        reason = failure_reason(exc, next_retry_in, job.deadline)
        if reason is None:
            retry = f"will retry in {next_retry_in:g} s"
            return _done(job, customer, Outcome.RETRY, started, detail=f"{retry}: {exc}")
        metrics.count_message(carrier.name, "failed")
        return _give_up(job, customer, reason, str(exc), started)
    metrics.observe_delivery(carrier.name, time.perf_counter() - sent)
    _feed_breaker(gates(), carrier.name, ok=True)
    units = units_of(carrier.name, message.text) if carrier.metered else None
    metrics.count_message(carrier.name, "sent", units or 0)
    _audit("otp_sent", job, customer, units=units)
    return _done(job, customer, Outcome.SENT, started)


def units_of(channel: str, text: str) -> int:
    """What one message is billed as: its SMS segments, or one message."""
    return segments(text).count if channels.get(channel).per_segment else 1


def _per_prefix(channel: str) -> int:
    return channels.budgets(current_app.config, channel)[1]


def failure_reason(exc: DeliveryError, next_retry_in: float | None, deadline: float) -> str | None:
    """The audit reason of a final failure, or None when another try is worth it."""
    if not exc.temporary:
        return "permanent"
    if next_retry_in is None:
        return "retries_exhausted"
    if time.time() + next_retry_in >= deadline:
        return "expired"  # the code would be dead before the next try
    return None


def _feed_breaker(gates, channel: str, *, ok: bool) -> None:  # noqa: ANN001
    if gates.record(channel, ok):
        seconds = current_app.config["DELIVERY_BREAKER_SECONDS"]
        log.warning(
            "delivery: %s breaker open for %d s: the provider keeps failing", channel, seconds
        )


def _give_up(
    job: SendJob, customer: Recipient, reason: str, detail: str, started: float
) -> Outcome:
    _audit("otp_send_failed", job, customer, reason)
    outcome = _done(job, customer, Outcome.FAILED, started, detail=f"{reason}: {detail}")
    if channels.get(job.carrier).fallback:  # e.g. not on WhatsApp: by SMS at once
        fall_back(job.carrier, job.tag, "failed", job.code_id)
    return outcome


def _audit(
    event: str,
    job: SendJob,
    customer: Recipient,
    reason: str | None = None,
    units: int | None = None,
) -> None:
    audit.record(
        event,
        customer_id=customer.customer_id,
        channel=job.carrier,
        contact_hash=job.tag,
        reason=reason,
        delivery_id=job.code_id,
        units=units,
    )


def _done(
    job: SendJob, customer: Recipient | None, outcome: Outcome, started: float, detail: str = ""
) -> Outcome:
    """The one log line per try: masked contact, channel, outcome, latency."""
    contact = customer.contact if customer is not None else None
    shown = mask(job.channel, contact) if contact else f"#{job.tag[:8]}"
    level = logging.WARNING if outcome is Outcome.FAILED else logging.INFO
    ms = (time.perf_counter() - started) * 1000
    suffix = f" ({detail})" if detail else ""
    log.log(
        level, "delivery: %s to %s %s in %.1f ms%s", job.carrier, shown, outcome.value, ms, suffix
    )
    return outcome


__all__ = [
    "Admission",
    "Outcome",
    "admit",
    "deliver",
    "prefix_under_attack",
    "routable",
    "sms_prefix",
]
