"""Fallback: a pending request whose code went by WhatsApp gets a fresh code by SMS.

When the provider reports the WhatsApp message ``failed``/``undelivered`` (``hooks``), when
the send itself failed for good (``policy``), when it is not reported ``delivered`` within
WHATSAPP_FALLBACK_SECONDS (a timer: the inline pool's, or a job the queue worker runs at
that time), or when the customer asks for it on the verify page. Once per request: the
WhatsApp code dies, the window counts no second send, and the attempts left and the expiry
stay as they were (``OtpStore.fall_back``), so nothing a page answers changes.

Strangers fall back on the same clock: every WhatsApp job, a stranger's too, sets the
timer, and a stranger's request is moved to SMS like anyone's (its decoy replaced by a
decoy); the fresh job is dispatched and dropped by the policy, as their first one was.
"""

from __future__ import annotations

import logging
import secrets
import time
from enum import Enum

from flask import current_app

from ..platform import metrics
from ..signin import audit, channels
from ..signin.otp import hasher, otp_store
from ..signin.otp.codes import decoy_hash, generate_code
from .base import SendJob
from .gates import Admission
from .service import delivery, gates

log = logging.getLogger(__name__)


class Moved(Enum):
    """What a fallback did."""

    FELL_BACK = "fell_back"  # a fresh code is on its way by the fallback channel
    NOTHING = "nothing"  # nothing pending to move (gone, moved already, delivered)
    UNAVAILABLE = "unavailable"  # the fallback channel is down or its budget spent


def fall_back(channel: str, tag: str, reason: str, code_id: str = "") -> Moved:
    """Move ``tag``'s pending ``channel`` request to its fallback channel.

    ``code_id``: only if that code is still the live one ('' any: the customer asked).
    ``reason``: failed, undelivered, timeout (then not if it was delivered), asked.
    """
    fallback = channels.get(channel).fallback
    if fallback is None:
        return Moved.NOTHING
    # The SMS breaker and hourly budget, as for any SMS (policy.admit's two steps: policy
    # imports this module, so this one does not import policy).
    per_hour, _ = channels.budgets(current_app.config, fallback)
    ticket = gates().admit(fallback, per_hour=per_hour)
    if ticket.admission is not Admission.OK:
        log.info("fallback: %s for %s refused (%s)", fallback, tag[:8], ticket.admission.value)
        return Moved.UNAVAILABLE
    code, new_id = generate_code(current_app.config["OTP_LENGTH"]), secrets.token_hex(8)
    moved = otp_store().fall_back(
        tag,
        hasher().code(tag, code),
        decoy_hash(),
        new_id,
        from_channel=channel,
        to_channel=fallback,
        expected_id=code_id,
        unless_delivered=reason == "timeout",
    )
    if moved is None:
        gates().give_back(ticket.counted)
        return Moved.NOTHING
    audit.record(  # a hand-off (delivery.ledger): its outcome repeats new_id
        "otp_fallback",
        customer_id=moved.customer_id or None,
        channel=channel,
        contact_hash=tag,
        reason=reason,
        delivery_id=new_id,
    )
    metrics.count_message(channel, "fallback")
    lang = moved.lang or current_app.config["LANGUAGES"][0]
    deadline = time.time() + moved.ttl
    job = SendJob(channel, tag, new_id, code, moved.customer_id, deadline, lang, via=fallback)
    delivery().dispatch(job)
    return Moved.FELL_BACK


def due(job: SendJob) -> Moved:
    """The timer of a WhatsApp job: fall back unless its code was delivered meanwhile."""
    return fall_back(job.channel, job.tag, "timeout", job.code_id)
