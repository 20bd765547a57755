"""A provider's final report on one message: audited for the customer whose number it is,
and counted (``otpauth_messages_total``). Used by the Twilio and MSG91 hooks alike."""

from __future__ import annotations

from sqlalchemy import select

from ..platform import metrics
from ..platform.extensions import db
from ..signin import audit
from ..signin.models import Customer


def record_report(
    channel: str, number: str, tag: str | None, reason: str | None, code_id: str | None
) -> None:
    """``reason`` None: delivered (``otp_delivered``); else why not (``otp_undelivered``)."""
    customer_id = (
        db.session.scalar(select(Customer.id).where(Customer.phone == number)) if number else None
    )
    delivered = reason is None
    metrics.count_message(channel, "delivered" if delivered else "undelivered")
    audit.record(
        "otp_delivered" if delivered else "otp_undelivered",
        customer_id=customer_id,
        channel=channel,
        contact_hash=tag,
        reason=reason,
        delivery_id=code_id,
    )
