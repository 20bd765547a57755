"""The support panel: why can't this customer sign in? Shared by the console and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..platform.timefmt import labelled_time
from . import audit, authenticators, passkey_rows
from .channels import mask
from .customers import contact_tags
from .models import AuthEvent, Customer, Passkey
from .otp import otp_store
from .otp.store import ContactState, Pending
from .sessions import SessionRecord, session_store

LATEST_EVENTS = 20


@dataclass(frozen=True)
class ContactPanel:
    """One contact on file, masked, with its live state in Redis."""

    channel: str
    masked: str
    tag: str
    state: ContactState

    @property
    def live_code(self) -> Pending | None:
        """The pending code, if it can still be typed (a used-up one cannot)."""
        pending = self.state.pending
        return pending if pending and pending.attempts_left > 0 else None

    @property
    def used_up(self) -> bool:
        """The last code took its wrong guesses (``otp_locked``): it is dead until it expires."""
        return self.state.pending is not None and self.state.pending.attempts_left == 0

    @property
    def locked(self) -> bool:
        """Sign-in refused right now: the daily cap is reached, or the code is used up."""
        return self.state.locked or self.used_up

    @property
    def lock_reason(self) -> str:
        """Why ``locked``, in words ('' when not)."""
        if self.state.locked:
            return f"daily cap reached, {self.state.locked_for} s left"
        if self.used_up:
            return "code used up by wrong guesses; a new one can be asked for"
        return ""


@dataclass(frozen=True)
class SupportPanel:
    """Everything support needs about one customer."""

    customer: Customer
    contacts: list[ContactPanel]
    has_authenticator: bool
    sessions: list[SessionRecord]
    events: list[AuthEvent]
    passkeys: list[Passkey] = field(default_factory=list)

    def text_lines(self, utc: bool = False) -> list[str]:
        """The panel as text (``customers show``), times in the display zone (or UTC)."""
        c = self.customer

        def when(moment: datetime | None) -> str:
            return labelled_time(moment, utc=utc, seconds=True)

        lines = [
            f"customer {c.id}: {c.name} ({c.customer_type}), "
            f"{'active' if c.active else 'DEACTIVATED'}",
            f"  e-mail {c.email or '-'}   phone {c.phone or '-'}",
            f"  last login {when(c.last_login_at)}",
            f"  authenticator app: {'yes' if self.has_authenticator else 'no'}",
            f"  passkeys: {', '.join(p.name for p in self.passkeys) or 'none'}",
        ]
        for p in self.contacts:
            lines.append(f"  {p.channel} {p.masked}: {describe(p)}")
        lines.append(f"  sessions: {len(self.sessions)}")
        for s in self.sessions:
            lines.append(
                f"    since {when(s.created_at)}, last seen {when(s.last_seen)}, ip {s.ip or '-'}"
            )
        lines.append("  latest events:")
        for e in self.events:
            lines.append(
                f"    {when(e.at)}  {e.event:<20} {e.channel or '-':<5} "
                f"{'staff ' + str(e.staff_id) if e.staff_id else ''}"
            )
        return lines


def describe(contact: ContactPanel) -> str:
    """One line about a contact's state."""
    state, code = contact.state, contact.live_code
    parts = [
        f"code pending ({code.attempts_left} attempts left, expires in {code.expires_in} s)"
        if code
        else "no code pending"
    ]
    if state.cooldown:
        parts.append(f"cooldown {state.cooldown} s")
    parts.append(f"{state.sends_left} sends left")
    parts.append(f"{state.fails_today} wrong today")
    parts.append(f"LOCKED: {contact.lock_reason}" if contact.locked else "not locked")
    return ", ".join(parts)


def sessions_of(customer: Customer) -> list[SessionRecord]:
    """The customer's active sessions."""
    return session_store().list(customer.kind, customer.id)


def has_authenticator(customer: Customer) -> bool:
    """Whether the customer signs in with an authenticator app too."""
    return authenticators.get(customer.kind, customer.id) is not None


def support_panel(customer: Customer) -> SupportPanel:
    """Read the panel: Redis state per contact, sessions, authenticator, latest events."""
    contacts = [
        ContactPanel(channel, mask(channel, contact), tag, otp_store().contact_state(tag))
        for channel, contact, tag in contact_tags(customer)
    ]
    return SupportPanel(
        customer=customer,
        contacts=contacts,
        has_authenticator=has_authenticator(customer),
        sessions=sessions_of(customer),
        events=audit.recent(customer_id=customer.id, limit=LATEST_EVENTS),
        passkeys=passkey_rows.owned(customer.kind, customer.id),
    )
