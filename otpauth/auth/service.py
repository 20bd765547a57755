"""The login logic the views call: plain functions, testable without a request.

Unknown and inactive contacts walk the same path as customers: a record is issued in
Redis (holding a decoy hash no code matches) and nothing is delivered, so answers and
timing reveal nothing about who is a customer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select, update

from .. import audit, authenticators, channels
from ..contacts import mask
from ..delivery import DeliveryError, delivery
from ..delivery.notices import send_security_notice
from ..extensions import db
from ..models import Customer, utcnow
from ..otp import hasher, otp_store
from ..otp.codes import decoy_hash, generate_code
from ..otp.store import KEEP_CUSTOMER, IssueResult, VerifyResult
from ..otp.totp import is_recovery

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Issued:
    """The outcome of a request or resend: the store's answer and the contact's tag."""

    tag: str
    result: IssueResult


def find_customer(channel: str, contact: str) -> Customer | None:
    """The active customer whose e-mail or phone (normalized) is ``contact``, if any."""
    customer = db.session.scalar(
        select(Customer).where(Customer.contact_column(channel, contact) == contact)
    )
    return customer if customer is not None and customer.active else None


def request_code(channel: str, contact: str) -> Issued:
    """Issue a code for a normalized contact and send it if a customer matches.

    Raises ``DeliveryError`` when the send fails (the cooldown is released first).
    """
    tag = hasher().tag(channel, contact)
    customer = find_customer(channel, contact)
    audit.record(
        "otp_requested", customer_id=customer and customer.id, channel=channel, contact_hash=tag
    )
    if channels.get(channel).sender is None:
        return _issue_unsent(channel, tag, customer)
    return _issue_and_send(channel, tag, customer, str(customer.id) if customer else "", contact)


def _issue_unsent(channel: str, tag: str, customer: Customer | None) -> Issued:
    """A pending request for a channel that sends nothing (an authenticator app).

    It holds no code (a decoy hash) but counts attempts like any other, and every contact,
    customer or not, walks this same path.
    """
    cid = str(customer.id) if customer else ""
    result = otp_store().issue(tag, decoy_hash(), decoy_hash(), cid)
    if not result.issued:
        audit.record("otp_rate_limited", customer_id=cid or None, channel=channel, contact_hash=tag)
    else:
        otp_store().release_cooldown(tag)  # nothing was sent: no reason to make anyone wait
    return Issued(tag, result)


def resend_code(channel: str, tag: str) -> Issued:
    """Issue a fresh code for the pending request; the previous code stops working."""
    if channels.get(channel).sender is None:  # nothing to send: a fresh request only
        result = otp_store().issue(tag, decoy_hash(), decoy_hash(), KEEP_CUSTOMER)
        otp_store().release_cooldown(tag)
        return Issued(tag, result)
    return _issue_and_send(channel, tag, None, KEEP_CUSTOMER, None)


def _issue_and_send(
    channel: str, tag: str, customer: Customer | None, customer_id: str, contact: str | None
) -> Issued:
    code = generate_code(current_app.config["OTP_LENGTH"])
    result = otp_store().issue(tag, hasher().code(tag, code), decoy_hash(), customer_id)
    if not result.issued:
        audit.record(
            "otp_rate_limited",
            customer_id=customer and customer.id,
            channel=channel,
            contact_hash=tag,
        )
        log.info("otp: %s refused for contact %s (%s)", channel, tag[:8], result.status)
        return Issued(tag, result)
    if customer is None and result.customer_id:  # resend: look the customer up again
        customer = db.session.get(Customer, int(result.customer_id))
        customer = customer if customer is not None and customer.active else None
        contact = customer.contact(channel) if customer else None
    if customer is None or contact is None:
        return Issued(tag, result)  # unknown contact: nothing is sent
    try:
        delivery().send_code(channel, contact, code)
    except DeliveryError as exc:
        otp_store().release_cooldown(tag)
        audit.record("otp_send_failed", customer_id=customer.id, channel=channel, contact_hash=tag)
        log.warning(
            "otp: %s send to %s failed (%s, temporary=%s)",
            channel,
            mask(channel, contact),
            exc,
            exc.temporary,
        )
        raise
    audit.record("otp_sent", customer_id=customer.id, channel=channel, contact_hash=tag)
    return Issued(tag, result)


def verify_code(
    channel: str, tag: str, code: str, *, now: float | None = None
) -> tuple[VerifyResult, Customer | None]:
    """Check a code; on success return the customer, stamped as logged in and verified."""
    if channels.get(channel).has_own_check:
        result = _check_app(tag, code, now)
    else:
        result = otp_store().verify(tag, hasher().code(tag, code))
    if result.status != "ok":
        event = "otp_locked" if result.status == "locked" else "otp_verify_failed"
        audit.record(
            event, customer_id=result.customer_id or None, channel=channel, contact_hash=tag
        )
        return result, None
    customer = stamp_login(int(result.customer_id), channel) if result.customer_id else None
    if customer is None:
        # Only reachable if the customer was removed or deactivated after the request.
        audit.record("otp_verify_failed", channel=channel, contact_hash=tag)
        return VerifyResult("expired"), None
    audit.record("login", customer_id=customer.id, channel=channel, contact_hash=tag)
    if channels.get(channel).has_own_check and is_recovery(code):
        send_security_notice(customer, "recovery_code_used")
    return result, customer


def _check_app(tag: str, code: str, now: float | None) -> VerifyResult:
    """Check an authenticator code or recovery code against the pending request's customer.

    Unknown contacts and customers without an authenticator get decoys: no code matches.
    """
    cid = otp_store().request_customer(tag)
    owner = int(cid) if cid else None
    return authenticators.check(
        tag, "customer", owner, code, need_request=True, now=authenticators.current_time(now)
    )


def stamp_login(customer_id: int, channel: str) -> Customer | None:
    """Stamp the login (and the contact as verified) on an active customer; return it.

    One statement (UPDATE ... RETURNING) checks, stamps and loads; the customer comes back
    detached with every column loaded, so nothing reloads it after the commit.
    """
    now = utcnow()
    values = {Customer.last_login_at: now}
    verified_attr = channels.get(channel).verified_attr  # None: the channel proves no contact
    if verified_attr:
        verified = getattr(Customer, verified_attr)
        values[verified] = func.coalesce(verified, now)  # the first proof stays
    statement = (
        update(Customer)
        .where(Customer.id == customer_id, Customer.active.is_(True))
        .values(values)
        .returning(Customer)
        .execution_options(synchronize_session=False)  # RETURNING brings the row back
    )
    customer = db.session.scalars(statement).one_or_none()
    if customer is not None:
        db.session.expunge(customer)
    db.session.commit()
    return customer
