"""Customer records: one validation and one set of actions for the CLI and the ops console.

Messages are the CLI's since its first version, so ops see the same words everywhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import case, func, or_, select

from config import CUSTOMER_TYPES

from ..platform.extensions import db
from . import audit, channels
from .contacts import InvalidContact, is_mobile, normalize_email, normalize_phone
from .models import Customer
from .otp import hasher, otp_store
from .sessions import session_store

log = logging.getLogger(__name__)
NAME_MESSAGE = "must be 1 to 200 characters"
NO_CONTACT_MESSAGE = "give an e-mail address, a phone number or both"
LANDLINE_MESSAGE = "is a landline or service number; sign-in by SMS needs a mobile number"


class CustomerError(ValueError):
    """Input a customer record cannot take; ``field`` names the offending field."""

    def __init__(self, field: str, message: str, clash_id: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.clash_id = clash_id

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class CustomerData:
    """A validated, normalized customer record."""

    name: str
    email: str | None
    phone: str | None
    customer_type: str
    active: bool = True

    def as_row(self) -> dict:
        """The columns, for a bulk insert."""
        return {
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "customer_type": self.customer_type,
            "active": self.active,
        }


def _contact(raw: str | None, field: str, normalize) -> str | None:  # noqa: ANN001
    if raw is None or raw.strip() == "":
        return None
    try:
        return normalize(raw)
    except InvalidContact as exc:
        raise CustomerError(field, str(exc)) from None


def customer_type(raw: str | None) -> str:
    """The canonical spelling of a customer type, any case accepted; no default for none."""
    wanted = (raw or "").strip().lower()
    for known in CUSTOMER_TYPES:
        if known.lower() == wanted:
            return known
    missing = "is missing; it " if not wanted else ""
    raise CustomerError("type", missing + "must be one of " + ", ".join(CUSTOMER_TYPES))


def _mobile(phone: str) -> str:
    """``phone`` (E.164) if it can take the sign-in code by SMS, else CustomerError."""
    if not is_mobile(phone):
        raise CustomerError("phone", LANDLINE_MESSAGE)
    return phone


def validate(
    name: str | None,
    email: str | None,
    phone: str | None,
    type_: str | None,
    region: str,
    active: bool = True,
) -> CustomerData:
    """Check and normalize one record; raises CustomerError naming the first bad field."""
    name = (name or "").strip()
    if not name or len(name) > 200 or "\x00" in name:
        raise CustomerError("name", NAME_MESSAGE)
    email = _contact(email, "email", normalize_email)
    phone = _contact(phone, "phone", lambda raw: _mobile(normalize_phone(raw, region)))
    if email is None and phone is None:
        raise CustomerError("contact", NO_CONTACT_MESSAGE)
    return CustomerData(name, email, phone, customer_type(type_), active)


def find_clash(data: CustomerData, exclude_id: int | None = None) -> CustomerError | None:
    """The error for another customer already holding this e-mail or phone, if any."""
    same = [Customer.email == data.email] if data.email else []
    same += [Customer.phone == data.phone] if data.phone else []
    query = select(Customer).where(or_(*same))
    if exclude_id is not None:
        query = query.where(Customer.id != exclude_id)
    clash = db.session.scalars(query.limit(1)).first()
    if clash is None:
        return None
    field, which = ("email", "e-mail address")
    if not (data.email and clash.email == data.email):
        field, which = ("phone", "phone number")
    return CustomerError(
        field, f"a customer with this {which} already exists (id {clash.id})", clash.id
    )


def create(data: CustomerData, staff_id: int | None = None) -> Customer:
    """Add a customer; raises CustomerError when the e-mail or phone is taken."""
    clash = find_clash(data)
    if clash is not None:
        raise clash
    customer = Customer(**data.as_row())
    db.session.add(customer)
    db.session.flush()
    audit.record("customer_created", customer_id=customer.id, staff_id=staff_id)
    db.session.commit()
    return customer


def update(customer: Customer, data: CustomerData, staff_id: int | None = None) -> Customer:
    """Change name, contacts and type (not ``active``: see deactivate / reactivate)."""
    clash = find_clash(data, exclude_id=customer.id)
    if clash is not None:
        raise clash
    customer.name, customer.customer_type = data.name, data.customer_type
    if customer.email != data.email:
        customer.email, customer.email_verified_at = data.email, None
    if customer.phone != data.phone:
        customer.phone, customer.phone_verified_at = data.phone, None
    audit.record("customer_updated", customer_id=customer.id, staff_id=staff_id)
    db.session.commit()
    return customer


def end_sessions(customer: Customer, staff_id: int | None = None, reason: str | None = None) -> int:
    """End every session of the customer; returns how many ended. ``reason``: the staff
    member's words, kept with the audit event."""
    ended = session_store().revoke_all(customer.kind, customer.id)
    audit.record("sessions_revoked", customer_id=customer.id, staff_id=staff_id, reason=reason)
    return ended


def deactivate(customer: Customer, staff_id: int | None = None, reason: str | None = None) -> int:
    """Stop the customer signing in and end their sessions; returns sessions ended."""
    customer.active = False
    audit.record("customer_deactivated", customer_id=customer.id, staff_id=staff_id, reason=reason)
    db.session.commit()
    return end_sessions(customer, staff_id, reason)


def reactivate(customer: Customer, staff_id: int | None = None) -> None:
    """Let the customer sign in again."""
    customer.active = True
    audit.record("customer_reactivated", customer_id=customer.id, staff_id=staff_id)
    db.session.commit()


def contact_tags(customer: Customer) -> list[tuple[str, str, str]]:
    """(channel, contact, tag) for each way in: every contact on file, through its own
    channel and through any channel typed with it (the authenticator app)."""
    found = []
    for owner in channels.contact_channels():
        contact = customer.contact(owner.name)
        if not contact:
            continue
        for channel in channels.offered(current_app.config):
            if channel.contact_kind(contact).name == owner.name:
                found.append((channel.name, contact, hasher().tag(channel.name, contact)))
    return found


def unlock(customer: Customer, staff_id: int | None = None) -> int:
    """Lift every contact's limits and daily cap; returns the Redis keys cleared."""
    cleared = 0
    for channel, _contact_value, tag in contact_tags(customer):
        cleared += otp_store().unlock(tag)
        audit.record(
            "contact_unlocked",
            customer_id=customer.id,
            channel=channel,
            contact_hash=tag,
            staff_id=staff_id,
        )
    return cleared


def search_query(q: str, region: str):  # noqa: ANN201 - a SQLAlchemy Select
    """Customers whose name, e-mail or phone matches ``q`` (typed as on the request form).

    An exact e-mail address or phone number comes first: a whole address matches only
    addresses holding it (its digits are not a phone number), a whole number only itself.
    """
    q = (q or "").strip()[:254]
    if not q:
        return select(Customer).order_by(Customer.name, Customer.id)
    exact = _exact_contact(q, region)
    pattern = "%" + q.lower().replace("\\", "").replace("%", "").replace("_", "\\_") + "%"
    matches = [func.lower(Customer.name).like(pattern, escape="\\")]
    matches.append(Customer.email.like(pattern, escape="\\"))
    if exact is not None:
        matches.append(exact)
    elif "@" not in q:
        digits = "".join(ch for ch in q if ch.isdigit())
        if len(digits) >= 4:  # part of a number: its digits in order
            matches.append(Customer.phone.like(f"%{digits}%"))
    first = [case((exact, 0), else_=1)] if exact is not None else []
    return select(Customer).where(or_(*matches)).order_by(*first, Customer.name, Customer.id)


def _exact_contact(q: str, region: str):  # noqa: ANN202 - a SQL condition, or None
    """``email = …`` or ``phone = …`` when ``q`` is a whole address or number."""
    try:
        if "@" in q:
            return Customer.email == normalize_email(q)
        return Customer.phone == normalize_phone(q, region)
    except InvalidContact:
        return None
