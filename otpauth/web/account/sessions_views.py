"""``/account/sessions/``: where the customer is signed in, and ending those sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import ngettext
from flask_login import current_user
from ua_parser import parse
from werkzeug.wrappers import Response

from ...platform.catalog import gettext as _
from ...platform.i18n import local_time, time_zone_name
from ...signin import audit, channels, passkeys
from ...signin.sessions import SessionRecord, current_record, customer_required, session_store
from .blueprint import bp


@dataclass(frozen=True)
class SessionRow:
    """One line of the sessions page."""

    public_id: str
    device: str
    ip: str | None
    signed_in: str
    last_seen: str
    current: bool
    began: str = ""  # how it was signed in: "passkey", "code by e-mail", ...


@lru_cache(maxsize=512)
def _browser_and_system(user_agent: str | None) -> tuple[str | None, str | None]:
    """``("Chrome 120", "Windows 10")`` from a User-Agent (parsed by ua-parser, cached)."""
    result = parse(user_agent or "")
    browser, system = result.user_agent, result.os
    name = f"{browser.family} {browser.major or ''}".strip() if browser else None
    where = f"{system.family} {system.major or ''}".strip() if system else None
    return name, where


def describe(user_agent: str | None) -> str:
    """``Chrome 120 on Windows 10``, in the page's language."""
    name, where = _browser_and_system(user_agent)
    return _(
        "%(browser)s on %(system)s",
        browser=name or _("Unknown browser"),
        system=where or _("an unknown system"),
    )


def shown(timestamp: float) -> str:
    """A time as people read it, in DISPLAY_TIMEZONE and the page's language."""
    return f"{local_time(datetime.fromtimestamp(timestamp, UTC))} {time_zone_name()}"


def _row(record: SessionRecord, current_sid: str | None) -> SessionRow:
    return SessionRow(
        public_id=record.public_id,
        device=describe(record.user_agent),
        ip=record.ip,
        signed_in=shown(record.created_at),
        last_seen=shown(record.last_seen),
        current=record.sid == current_sid,
        began=how_it_began(record.method),
    )


def how_it_began(method: str | None) -> str:
    """How a session was signed in, as the sessions page says it."""
    if method in passkeys.METHODS:
        return _("passkey")
    channel = channels.CHANNELS.get(method or "")
    if channel is None:
        return "-"
    if channel.has_own_check:
        return _("authenticator app")
    return _("code by %(channel)s", channel=channel.short)


def _own_sessions() -> list[SessionRecord]:
    return session_store().list("customer", current_user.id)


@bp.route("/sessions/")
@customer_required
def sessions() -> str:
    """The customer's live sessions, this one marked, the others each with a revoke form."""
    mine = current_record()
    current_sid = mine.sid if mine else None
    rows = [_row(r, current_sid) for r in _own_sessions()]
    rows.sort(key=lambda row: not row.current)  # this device first, then newest first
    return render_template("account/sessions.html", rows=rows, show_sign_out=True)


@bp.route("/sessions/<public_id>/revoke", methods=["POST"])
@customer_required
def revoke_session(public_id: str) -> Response:
    """End one of the customer's own sessions; anything else is 404."""
    record = next((r for r in _own_sessions() if r.public_id == public_id), None)
    if record is None:
        abort(404)
    session_store().revoke("customer", current_user.id, record.sid)
    audit.record("session_revoked", customer_id=current_user.id, reason="one")
    flash(_("Signed out %(device)s.", device=describe(record.user_agent)), "info")
    return redirect(url_for(".sessions"))


@bp.route("/sessions/revoke-others", methods=["POST"])
@customer_required
def revoke_others() -> Response:
    """End every session of this customer but the current one."""
    mine = current_record()
    ended = session_store().revoke_all("customer", current_user.id, keep=mine.sid if mine else None)
    if ended:
        audit.record("session_revoked", customer_id=current_user.id, reason="others")
    flash(
        ngettext("Signed out %(num)d other session.", "Signed out %(num)d other sessions.", ended),
        "info",
    )
    return redirect(url_for(".sessions"))
