"""The audit trail: sign-in events written to SQL, never slowing or breaking a login.

Views call ``record(...)``; the events of one request are written in one transaction
after the view has answered, and a failure to write them is logged, not raised.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from . import metrics
from .extensions import db
from .models import AuthEvent

log = logging.getLogger(__name__)

EVENTS = (
    # Sign-in.
    "otp_requested",
    "otp_sent",
    "otp_send_failed",
    "otp_verify_failed",
    "otp_locked",
    "otp_rate_limited",
    "login",
    "logout",
    # Delivery honesty: queued, dropped as stale, the provider's status report.
    "otp_queued",
    "otp_send_skipped",
    "otp_delivered",
    "otp_undelivered",
    # The proof-of-work challenge refused a request.
    "challenge_failed",
    # Accounts: sessions and authenticator apps.
    "session_revoked",
    "authenticator_added",
    "authenticator_removed",
    "recovery_code_used",
    # Staff and what they did (staff_id set).
    "staff_login",
    "staff_login_failed",
    "staff_logout",
    "staff_created",
    "staff_deactivated",
    "customer_created",
    "customer_updated",
    "customer_deactivated",
    "customer_reactivated",
    "contact_unlocked",
    "sessions_revoked",
    "customers_imported",
)
# Why a send failed (``reason`` of otp_send_failed); other events may carry their own.
SEND_FAILURE_REASONS = ("permanent", "retries_exhausted", "expired")


def record(
    event: str,
    *,
    customer_id: int | str | None = None,
    channel: str | None = None,
    contact_hash: str | None = None,
    staff_id: int | None = None,
    reason: str | None = None,
) -> None:
    """Queue one event for writing at the end of the request."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    metrics.count_event(event, channel)
    entry = AuthEvent(
        event=event,
        customer_id=int(customer_id) if customer_id else None,
        channel=channel,
        contact_hash=contact_hash,
        staff_id=staff_id,
        reason=reason,
    )
    if has_request_context():
        entry.ip = printable(request.remote_addr, 45)
        entry.user_agent = printable(request.user_agent.string, 256)
        g.setdefault("audit_events", []).append(entry)
    else:
        _write([entry])


def printable(value: str | None, limit: int) -> str | None:
    """``value`` without control characters, cut to ``limit``: the client chose it.

    PostgreSQL refuses text with a NUL byte, and the whole request's events would be lost
    with it: a User-Agent of ``\\x00`` must not erase an attacker's trace.
    """
    cleaned = "".join(ch for ch in value or "" if ch.isprintable())[:limit]
    return cleaned or None


def _write(entries: list[AuthEvent]) -> None:
    try:
        db.session.add_all(entries)
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.error("audit: could not write %d event(s): %s", len(entries), type(exc).__name__)


def flush(response: Response) -> Response:
    """Write the request's events (an ``after_request`` hook)."""
    entries = g.pop("audit_events", None)
    if entries:
        _write(entries)
    return response


def recent(
    customer_id: int | None = None, limit: int = 20, event: str | None = None
) -> list[AuthEvent]:
    """The latest events, newest first, optionally of one customer or one kind."""
    query = select(AuthEvent).order_by(AuthEvent.at.desc(), AuthEvent.id.desc()).limit(limit)
    if customer_id is not None:
        query = query.where(AuthEvent.customer_id == customer_id)
    if event is not None:
        query = query.where(AuthEvent.event == event)
    return list(db.session.scalars(query))


def init_app(app: Flask) -> None:
    """Register the end-of-request writer."""
    app.after_request(flush)
