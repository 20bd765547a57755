"""Staff accounts: creation with a one-time setup link, password set-up, sign-in, deactivation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from config import STAFF_ROLES

from ...platform.extensions import db
from ...signin import audit, authenticators
from ...signin.contacts import InvalidContact, normalize_email
from ...signin.models import Staff, utcnow
from ...signin.sessions import session_store
from .hash_slots import slot
from .passwords import check_password, hash_password, problem

SETUP_VALID = timedelta(hours=24)


class StaffError(ValueError):
    """A staff record or password that cannot be accepted; the message says why."""


def token_hash(token: str) -> str:
    """What is stored of a setup token: its SHA-256 (the token itself is 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create(email: str, name: str, role: str) -> tuple[Staff, str]:
    """A new staff member and their setup token (shown once, stored only hashed).

    For a member who never finished the setup (no authenticator app), a new link instead.
    """
    try:
        email = normalize_email(email)
    except InvalidContact as exc:
        raise StaffError(str(exc)) from None
    name = name.strip()
    if not name or len(name) > 200 or "\x00" in name:
        raise StaffError("The name must be 1 to 200 characters.")
    if role not in STAFF_ROLES:
        raise StaffError("The role must be admin or support.")
    staff = db.session.scalar(select(Staff).where(Staff.email == email))
    if staff is not None and authenticators.get(staff.kind, staff.id) is not None:
        raise StaffError("A staff member with this e-mail address already exists.")
    if staff is None:
        staff = Staff(email=email, name=name, role=role)
    else:  # a setup never finished: a fresh link, and the old one and any password are void
        staff.name, staff.role, staff.active, staff.password_hash = name, role, True, None
    token = secrets.token_urlsafe(32)
    staff.setup_token_hash = token_hash(token)
    staff.setup_expires_at = utcnow() + SETUP_VALID
    db.session.add(staff)
    db.session.flush()
    audit.record("staff_created", staff_id=staff.id)
    db.session.commit()
    return staff, token


def setup_link(token: str) -> str:
    """The full URL of a setup link: PUBLIC_URL's scheme, host and port, then the path."""
    return f"{current_app.config['PUBLIC_URL']}/admin/setup/{token}"


def by_setup_token(token: str) -> Staff | None:
    """The active staff member whose unexpired, unused setup link this is."""
    if not token or len(token) > 100:
        return None
    staff = db.session.scalar(select(Staff).where(Staff.setup_token_hash == token_hash(token)))
    if staff is None or not staff.active or staff.setup_expires_at is None:
        return None
    expires = staff.setup_expires_at
    if expires.tzinfo is None:  # SQLite gives naive UTC
        expires = expires.replace(tzinfo=utcnow().tzinfo)
    return staff if expires > utcnow() else None


def set_password(staff: Staff, password: str) -> None:
    """Store the new password's hash and spend the setup link."""
    reason = problem(password, staff.email, staff.name)
    if reason:
        raise StaffError(reason)
    with slot():
        staff.password_hash = hash_password(password)
    staff.setup_token_hash = None
    staff.setup_expires_at = None
    db.session.commit()


@dataclass(frozen=True)
class PasswordCheck:
    """The staff member the e-mail names (None if none, or inactive) and whether it matched."""

    staff: Staff | None
    ok: bool


def login_email(typed: str) -> str | None:
    """The form of a typed e-mail that sign-in matches (and the lockout counts): the
    normalised address, so full-width letters or ``。`` are the same account; None for
    text that is no address (it matches no one)."""
    try:
        return normalize_email(typed or "")
    except InvalidContact:
        return None


def authenticate(email: str, password: str) -> PasswordCheck:
    """Check e-mail and password with equal work for any failure (an Argon2 verify each)."""
    address = login_email(email)
    staff = db.session.scalar(select(Staff).where(Staff.email == address)) if address else None
    if staff is not None and not staff.active:
        staff = None
    with slot():
        ok = check_password(staff.password_hash if staff else None, password)
    return PasswordCheck(staff, ok and staff is not None)


def deactivate(staff: Staff, by: int | None = None) -> int:
    """Stop the member signing in and end their sessions; returns sessions ended."""
    staff.active = False
    audit.record(
        "staff_deactivated", staff_id=by if by is not None else staff.id, reason=f"staff:{staff.id}"
    )
    db.session.commit()
    return session_store().revoke_all(staff.kind, staff.id)
