"""The audit trail: sign-in events written to SQL, never slowing or breaking a login.

Views call ``record(...)``; the events of one request are handed to the app's
``AuditWriter`` after the view has answered (in production appended to the process's
spool file, then written in batches by one multi-row INSERT; see ``audit_writer`` and
``audit_spool``), and a failure to write them is logged, not raised.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy import select

from ..platform import autocommit, metrics
from ..platform.extensions import db
from . import queries
from .audit_writer import AuditWriter
from .models import AuthEvent, utcnow

log = logging.getLogger(__name__)
WRITER_KEY = "otpauth.audit"
# AUDIT_FLUSH_SECONDS (1 s): how long an event may wait in its process's spool before its
# batch is written (a fraction of a statement per login instead of two transactions); the
# testing profile's 0 writes each request's events at its end.

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
    # A pending request's fresh code went by its fallback channel (WhatsApp -> SMS); reason:
    # failed, undelivered (the provider's report), timeout (no report in time), asked.
    "otp_fallback",
    # The proof-of-work challenge refused a request.
    "challenge_failed",
    # Accounts: sessions and authenticator apps.
    "session_revoked",
    "authenticator_added",
    "authenticator_removed",
    "recovery_code_used",
    # Passkeys (reason: why a sign-in or an addition failed, e.g. "clone") and contacts.
    "passkey_added",
    "passkey_add_failed",
    "passkey_removed",
    "passkey_login",
    "passkey_login_failed",
    "contact_change_requested",
    "contact_changed",
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
    "customers_exported",
    # The OpenID Provider (reason: the client id).
    "oidc_authorized",
    "oidc_token_issued",
    "oidc_refresh_reuse",
    "oidc_backchannel_logout_sent",
    "oidc_backchannel_logout_failed",
    "oidc_client_created",
    "oidc_client_deleted",
    "oidc_key_rotated",
)
# Why a send failed (``reason`` of otp_send_failed); other events may carry their own.
# ``lost``: handed to delivery, then never sent nor failed (found by delivery.ledger).
SEND_FAILURE_REASONS = ("permanent", "retries_exhausted", "expired", "lost")


def record(
    event: str,
    *,
    customer_id: int | str | None = None,
    channel: str | None = None,
    contact_hash: str | None = None,
    staff_id: int | None = None,
    reason: str | None = None,
    delivery_id: str | None = None,
    units: int | None = None,
) -> None:
    """Queue one event for writing at the end of the request.

    ``delivery_id``: the code's id on a delivery event (``otp_queued`` and its outcome).
    ``units``: what a sent message is billed as (SMS segments; 1 for WhatsApp).
    """
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    metrics.count_event(event, channel)
    row: dict[str, Any] = {
        "at": utcnow(),
        "event": event,
        "customer_id": int(customer_id) if customer_id else None,
        "channel": channel,
        "contact_hash": contact_hash,
        "staff_id": staff_id,
        "reason": reason,
        "delivery_id": delivery_id,
        "units": units,
        "ip": None,
        "user_agent": None,
    }
    if has_request_context():
        row["ip"] = printable(request.remote_addr, 45)
        row["user_agent"] = printable(request.user_agent.string, 256)
        g.setdefault("audit_events", []).append(row)
    else:  # a worker's job, the inline send pool, a command: no request to wait for
        writer().add([row])


def printable(value: str | None, limit: int) -> str | None:
    """``value`` without control characters, cut to ``limit``: the client chose it.

    PostgreSQL refuses text with a NUL byte, and the whole request's events would be lost
    with it: a User-Agent of ``\\x00`` must not erase an attacker's trace.
    """
    if not value:
        return None
    if not value.isprintable():  # the usual value is checked in one call, not per character
        value = "".join(ch for ch in value if ch.isprintable())
    return value[:limit] or None


def writer() -> AuditWriter:
    """The current app's audit writer."""
    return current_app.extensions[WRITER_KEY]


def flush(response: Response) -> Response:
    """Hand the request's events to the writer (an ``after_request`` hook)."""
    rows = g.pop("audit_events", None)
    if rows:
        writer().add(rows)
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


@dataclass(frozen=True)
class SignIn:
    """One of a customer's logins, as the dashboard lists it."""

    at: datetime
    channel: str | None
    ip: str | None
    event: str = "login"  # or passkey_login

    @property
    def by_passkey(self) -> bool:
        return self.event == "passkey_login"


def recent_sign_ins(customer_id: int) -> list[SignIn]:
    """The customer's latest logins, newest first: one statement (the dashboard's), plain
    columns without the ORM session."""
    statement, params = queries.recent_sign_ins(), {"cid": customer_id}
    return [SignIn(*row) for row in autocommit.rows(statement, params, idempotent=True)]


def init_app(app: Flask) -> None:
    """Build the app's writer and register the end-of-request hook."""
    interval = app.config["AUDIT_FLUSH_SECONDS"]
    spool = app.config.get("AUDIT_SPOOL_DIR") or os.path.join(app.instance_path, "audit-spool")
    app.extensions[WRITER_KEY] = AuditWriter(app, float(interval), spool)
    app.after_request(flush)
