"""Sign-in with a passkey: ``/passkey/options`` and ``/passkey/verify`` (JSON).

Every refusal answers the same 400 and text, whatever failed (malformed body, spent or
unknown challenge, unknown credential, another account's handle, bad signature, a clone);
the audit keeps the reason. Both endpoints count against the per-IP limits of the code
pages they stand beside (options like a request, verify like a code check).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request, session, url_for

from ...platform import ip_limits
from ...platform.catalog import lazy_gettext as _l
from ...platform.extensions import db
from ...signin import audit, passkeys
from ...signin.models import Customer, utcnow
from ...signin.sessions import start_session
from .views import safe_next

bp = Blueprint("passkey", __name__, url_prefix="/passkey")
FAILED = _l("That passkey did not work. Try again, or sign in with a code.")


def refused(reason: str, owner: Any = None) -> Any:
    """The one answer to every failed passkey sign-in; the reason goes to the audit."""
    owner_id = owner.id if isinstance(owner, Customer) else None
    audit.record("passkey_login_failed", customer_id=owner_id, reason=reason)
    return jsonify(error=str(FAILED)), 400


def _customer(kind: str, owner_id: int) -> Customer | None:
    return db.session.get(Customer, owner_id)


@bp.route("/options", methods=["POST"])
@ip_limits.per_ip("RATELIMIT_OTP_REQUEST")
def options() -> Any:
    """Request options for a discoverable credential (no allowCredentials)."""
    if not passkeys.enabled():
        abort(404)
    return passkeys.signin_options(), 200, {"Content-Type": "application/json"}


@bp.route("/verify", methods=["POST"])
@ip_limits.per_ip("RATELIMIT_OTP_VERIFY")
def verify() -> Any:
    """Check the assertion; a good one starts a session as a code would."""
    if not passkeys.enabled():
        abort(404)
    try:
        done = passkeys.sign_in(request.get_data(as_text=True), _customer)
    except passkeys.PasskeyError as exc:
        return refused(exc.reason, exc.owner)
    done.user.last_login_at = utcnow()
    db.session.commit()
    start_session(done.user, method=done.method)
    session["login_channel"] = None
    audit.record("passkey_login", customer_id=done.user.id)
    target = safe_next(request.args.get("next")) or url_for("dashboard.index")
    return jsonify(redirect=target)
