"""SQL models: customers and the audit trail of sign-in events."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from config import CUSTOMER_TYPES, STAFF_ROLES

from ..platform.extensions import db
from . import channels


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def new_oidc_sub() -> str:
    """A fresh OpenID Connect subject identifier (192 random bits)."""
    return secrets.token_urlsafe(24)


class Customer(UserMixin, db.Model):
    """A customer of the utility; signs in with a code sent to the e-mail or phone on file."""

    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint(
            "customer_type IN (" + ", ".join(f"'{t}'" for t in CUSTOMER_TYPES) + ")",
            name="ck_customers_type",
        ),
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="ck_customers_contact"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)  # lower-cased
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164
    customer_type: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    phone_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The OpenID Connect subject: random and stable, never the SQL id or a contact.
    oidc_sub: Mapped[str | None] = mapped_column(String(43), unique=True, default=new_oidc_sub)
    # WebAuthn: a random user handle (never the SQL id or a contact), and the answer to the
    # passkey offer (None: ask after a code sign-in; "never").
    webauthn_user_handle: Mapped[bytes | None] = mapped_column(LargeBinary(64), unique=True)
    passkey_offer: Mapped[str | None] = mapped_column(String(8))

    kind = "customer"  # the user kind named in session records and authenticators

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @classmethod
    def contact_column(cls, channel: str, contact: str = "") -> Mapped[str | None]:
        """The column holding the contact for ``channel`` (for ``app``: ``contact``'s kind)."""
        return getattr(cls, channels.get(channel).column_for(contact))

    def contact(self, channel: str) -> str | None:
        """The address or number on file for a channel that owns a column."""
        column = channels.get(channel).column
        return getattr(self, column) if column else None

    def mark_verified(self, channel: str, when: datetime) -> None:
        """Stamp the contact as verified (once) if a sign-in through ``channel`` proves it."""
        attr = channels.get(channel).verified_attr
        if attr and getattr(self, attr) is None:
            setattr(self, attr, when)

    def __repr__(self) -> str:
        return f"<Customer {self.id} {self.customer_type}>"


class Staff(UserMixin, db.Model):
    """A member of the ops team: password (Argon2id) and an authenticator, a role."""

    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint(
            "role IN (" + ", ".join(f"'{r}'" for r in STAFF_ROLES) + ")", name="ck_staff_role"
        ),
    )

    kind = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower-cased
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None until set up
    setup_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    setup_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # WebAuthn: a random user handle (never the SQL id or a contact), and the answer to the
    # passkey offer (None: ask after a code sign-in; "never").
    webauthn_user_handle: Mapped[bytes | None] = mapped_column(LargeBinary(64), unique=True)
    passkey_offer: Mapped[str | None] = mapped_column(String(8))

    @property
    def is_active(self) -> bool:
        return self.active

    def __repr__(self) -> str:
        return f"<Staff {self.id} {self.role}>"


class Authenticator(db.Model):
    """An authenticator app (TOTP) of a customer or staff member; the secret is encrypted."""

    __tablename__ = "authenticators"
    __table_args__ = (UniqueConstraint("owner_kind", "owner_id", name="uq_authenticators_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(8))  # "customer" or "staff"
    owner_id: Mapped[int] = mapped_column()
    secret_encrypted: Mapped[str] = mapped_column(Text)  # MultiFernet token, never the secret
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Passkey(db.Model):
    """A WebAuthn credential of a customer or staff member: its public key, never a secret."""

    __tablename__ = "passkeys"
    __table_args__ = (Index("ix_passkeys_owner", "owner_kind", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(8))  # "customer" or "staff"
    owner_id: Mapped[int] = mapped_column()
    credential_id: Mapped[str] = mapped_column(String(1366), unique=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE_Key
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    transports: Mapped[str] = mapped_column(String(200), default="")
    backed_up: Mapped[bool] = mapped_column(default=False)  # synced (amr swk) or device-bound
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RecoveryCode(db.Model):
    """One single-use recovery code, stored only as its keyed hash."""

    __tablename__ = "recovery_codes"
    __table_args__ = (Index("ix_recovery_codes_owner", "owner_kind", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(8))
    owner_id: Mapped[int] = mapped_column()
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuthEvent(db.Model):
    """One sign-in event. Contacts appear only as their keyed hash, never in clear."""

    __tablename__ = "auth_events"
    __table_args__ = (
        Index("ix_auth_events_customer_at", "customer_id", "at"),
        # The console's stats group by event (and channel) over a time range.
        Index("ix_auth_events_event_at", "event", "at", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    event: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    channel: Mapped[str | None] = mapped_column(String(8))
    contact_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    # Why: a send failed (``permanent``…), or a staff member's words for an action.
    reason: Mapped[str | None] = mapped_column(String(200))
    # A code handed to delivery: ``otp_queued`` and its outcome (sent, failed, skipped)
    # carry the same id, so a hand-off without an outcome can be found (delivery.ledger).
    delivery_id: Mapped[str | None] = mapped_column(String(16), index=True)
    # What a sent message is billed as (``otp_sent``): SMS segments, 1 for WhatsApp.
    units: Mapped[int | None] = mapped_column(SmallInteger)
