"""Changing a customer's e-mail address or phone number: a code to the new contact first.

The new contact gets a code of its own request (a tag apart from sign-in requests, so a
sign-in for that contact can never meet this code), with the same limits, cooldown and
attempt counting as a sign-in code. When the new contact is someone else's, everything
happens the same (a record is stored, the code page follows) except that nothing is sent,
so no code can match and nothing changes: the page never says whose the contact is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ...delivery import DeliveryError, delivery
from ...delivery.messages import render_message
from ...platform.extensions import db
from ...signin import audit, channels
from ...signin.models import Customer, utcnow
from ...signin.otp import hasher, otp_store
from ...signin.otp.codes import decoy_hash, generate_code
from ...signin.otp.store import IssueResult, VerifyResult
from ...signin.sessions import current_record, session_store
from ..auth.service import find_customer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """A pending change: which channel, the new contact, and its request's tag."""

    channel: str
    contact: str
    tag: str


def change_tag(channel: str, contact: str) -> str:
    """The tag of a change request for ``contact`` (never a sign-in request's tag)."""
    return hasher().tag(f"{channel}-change", contact)


def start(customer: Customer, channel: str, contact: str) -> tuple[Change, IssueResult]:
    """Store a code for the new contact and send it, unless it is someone else's."""
    tag = change_tag(channel, contact)
    owner = find_customer(channel, contact)
    free = owner is None or owner == customer.id
    code = generate_code(current_app.config["OTP_LENGTH"])
    cid = str(customer.id) if free else ""
    result = otp_store().issue(tag, hasher().code(tag, code), decoy_hash(), cid)
    audit.record("contact_change_requested", customer_id=customer.id, channel=channel)
    if result.issued and free:
        _send(channel, contact, code)
    return Change(channel, contact, tag), result


def _send(channel: str, contact: str, code: str) -> None:
    try:
        delivery().senders[channel].send(render_message(channel, contact, code))
    except DeliveryError as exc:  # answered like a stranger's: the code page, no change
        log.warning(
            "contact change: %s to %s failed (%s)",
            channel,
            channels.get(channel).mask(contact),
            exc,
        )


def finish(customer: Customer, change: Change, code: str) -> tuple[VerifyResult, str | None]:
    """Check the code; when right, save the new contact; answers the result and the old
    contact (None when nothing changed)."""
    result = otp_store().verify(change.tag, hasher().code(change.tag, code))
    if result.status != "ok" or result.customer_id != str(customer.id):
        return (result if result.status != "ok" else VerifyResult("expired")), None
    found = channels.get(change.channel)
    old = getattr(customer, found.column)
    values = {found.column: change.contact, found.verified_attr: utcnow()}  # the code proved it
    try:  # the signed-in customer is loaded detached: one UPDATE
        db.session.execute(update(Customer).where(Customer.id == customer.id).values(**values))
        db.session.commit()
    except IntegrityError:  # taken between the two steps
        db.session.rollback()
        return VerifyResult("expired"), None
    for name, value in values.items():
        setattr(customer, name, value)
    audit.record("contact_changed", customer_id=customer.id, channel=change.channel)
    mine = current_record()
    session_store().revoke_all("customer", customer.id, keep=mine.sid if mine else None)
    return result, old
