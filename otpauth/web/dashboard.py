"""The customer's own page, and the site root."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, redirect, render_template, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..platform.i18n import time_zone_name
from ..signin import audit, channels, passkeys
from ..signin.models import Customer
from ..signin.sessions import current_record, customer_required

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def root() -> Response:
    """The dashboard for a logged-in customer, the request page for everyone else."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("auth.request_code"))


def previous_sign_in(customer: Customer, sign_ins: list[audit.SignIn]) -> audit.SignIn | None:
    """The latest sign-in before this session's own, which stamped ``last_login_at``.

    Told apart by time, not by position: in production the audit rows are written in
    batches, so for a moment this login may not be listed yet.
    """
    if customer.last_login_at is None:
        return sign_ins[1] if len(sign_ins) > 1 else None
    this_login = _aware(customer.last_login_at)  # its audit row is stamped just after
    return next((e for e in sign_ins if _aware(e.at) < this_login), None)


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # SQLite drops the zone


@bp.route("/dashboard/")
@customer_required
def index() -> str:
    """Name, type, contacts (and whether verified), the previous sign-in, recent ones."""
    customer = current_user._get_current_object()  # the page reads it a dozen times
    sign_ins = audit.recent_sign_ins(customer.id)
    previous = previous_sign_in(customer, sign_ins)
    record = current_record()  # loaded with the user: the offer costs no statement
    method = record.method if record else None
    offer = passkeys.offered(customer, method, bool(session.get(passkeys.NOT_NOW)))
    # NIST SP 800-63B-4: who signed in by a code sent to a phone is told its risk.
    by_phone = channels.CHANNELS.get(method or "")
    return render_template(
        "dashboard/index.html",
        customer=customer,
        sign_ins=sign_ins,
        previous=previous,
        passkey_offer=offer,
        phone_code_risk=offer and by_phone is not None and by_phone.metered,
        time_zone_name=time_zone_name(),
        show_sign_out=True,
    )
