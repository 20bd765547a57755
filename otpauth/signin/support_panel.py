"""The support panel: why can't this customer sign in? Shared by the console and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..platform.timefmt import display_time
from . import audit, authenticators, passkey_rows
from .channels import mask
from .customers import contact_tags
from .models import AuthEvent, Customer, Passkey
from .otp import otp_store
from .otp.store import ContactState
from .sessions import SessionRecord, session_store

LATEST_EVENTS = 20


@dataclass(frozen=True)
class ContactPanel:
    """One contact on file, masked, with its live state in Redis."""

    channel: str
    masked: str
    tag: str
    state: ContactState


@dataclass(frozen=True)
class SupportPanel:
    """Everything support needs about one customer."""

    customer: Customer
    contacts: list[ContactPanel]
    has_authenticator: bool
    sessions: list[SessionRecord]
    events: list[AuthEvent]
    passkeys: list[Passkey] = field(default_factory=list)

    def text_lines(self) -> list[str]:
        """The panel as text (``customers show``)."""
        c = self.customer
        lines = [
            f"customer {c.id}: {c.name} ({c.customer_type}), "
            f"{'active' if c.active else 'DEACTIVATED'}",
            f"  e-mail {c.email or '-'}   phone {c.phone or '-'}",
            f"  last login {display_time(c.last_login_at)}",
            f"  authenticator app: {'yes' if self.has_authenticator else 'no'}",
            f"  passkeys: {', '.join(p.name for p in self.passkeys) or 'none'}",
        ]
        for p in self.contacts:
            lines.append(f"  {p.channel} {p.masked}: {describe(p.state)}")
        lines.append(f"  sessions: {len(self.sessions)}")
        for s in self.sessions:
            lines.append(
                f"    since {display_time(s.created_at)}, last seen {display_time(s.last_seen)}, "
                f"ip {s.ip or '-'}"
            )
        lines.append("  latest events:")
        for e in self.events:
            lines.append(
                f"    {display_time(e.at)}  {e.event:<20} {e.channel or '-':<5} "
                f"{'staff ' + str(e.staff_id) if e.staff_id else ''}"
            )
        return lines


def describe(state: ContactState) -> str:
    """One line about a contact's state."""
    parts = []
    if state.pending:
        parts.append(
            f"code pending ({state.pending.attempts_left} attempts left, "
            f"expires in {state.pending.expires_in} s)"
        )
    else:
        parts.append("no code pending")
    if state.cooldown:
        parts.append(f"cooldown {state.cooldown} s")
    parts.append(f"{state.sends_left} sends left")
    parts.append(f"{state.fails_today} wrong today")
    parts.append(f"LOCKED for {state.locked_for} s" if state.locked else "not locked")
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
