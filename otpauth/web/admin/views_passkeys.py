"""Staff passkeys: ``/admin/passkeys/`` (add, remove), the passkey at the second sign-in
step, and an admin removing a customer's passkey from the support panel."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...delivery.notices import send_security_notice
from ...platform import ip_limits
from ...platform.extensions import db
from ...signin import audit, authenticators, passkey_rows, passkeys
from ...signin.models import Customer, Staff, utcnow
from . import login_state
from .blueprint import bp
from .lockout import staff_lockout
from .views_auth import LIMIT

FAILED = "That passkey did not work. Try again, or use your authenticator code."
JSON = {"Content-Type": "application/json"}


def _staff(kind: str, staff_id: int) -> Staff | None:
    return db.session.get(Staff, staff_id)


@bp.route("/login/passkey/options", methods=["POST"])
@ip_limits.per_ip(LIMIT)
def login_passkey_options() -> Any:
    """Request options for the staff member past the password step."""
    staff = login_state.password_step()
    if staff is None or not passkeys.enabled():
        abort(404)
    return passkeys.signin_options("staff", staff.id), 200, JSON


@bp.route("/login/passkey/verify", methods=["POST"])
@ip_limits.per_ip(LIMIT)
def login_passkey_verify() -> Any:
    """A passkey instead of the authenticator code: the staff session begins."""
    staff = login_state.password_step()
    if staff is None or not passkeys.enabled():
        abort(404)
    lockout = staff_lockout()
    if lockout.locked_for(staff.email):
        return jsonify(error=FAILED), 429
    try:
        passkeys.sign_in(request.get_data(as_text=True), _staff, "staff", staff.id)
    except passkeys.PasskeyError as exc:
        lockout.fail(staff.email)
        audit.record("passkey_login_failed", staff_id=staff.id, reason=exc.reason)
        return jsonify(error=FAILED), 400
    lockout.clear(staff.email)
    staff.last_login_at = utcnow()
    audit.record("passkey_login", staff_id=staff.id)
    audit.record("staff_login", staff_id=staff.id, reason="passkey")
    db.session.commit()
    login_state.begin(staff, method="passkey")
    return jsonify(redirect=url_for(".overview"))


@bp.route("/passkeys/")
def staff_passkeys() -> str:
    """The signed-in staff member's passkeys, and a button to add one."""
    staff = login_state.current_staff()
    rows = passkey_rows.owned("staff", staff.id)
    return render_template("admin/passkeys.html", rows=rows, enabled=passkeys.enabled())


@bp.route("/passkeys/options", methods=["POST"])
def staff_passkey_options() -> Any:
    staff = login_state.current_staff()
    if not passkeys.enabled():
        abort(404)
    return passkeys.registration_options(staff, staff.email), 200, JSON


@bp.route("/passkeys/", methods=["POST"])
def staff_passkey_add() -> Any:
    staff = login_state.current_staff()
    if not passkeys.enabled():
        abort(404)
    name = f"Passkey {len(passkey_rows.owned('staff', staff.id)) + 1}"
    try:
        added = passkeys.register(staff, request.get_data(as_text=True), name)
    except passkeys.PasskeyError:
        return jsonify(error="The passkey was not added. Try again."), 400
    audit.record("passkey_added", staff_id=staff.id)
    return jsonify(id=added.id, name=added.name), 201


@bp.route("/passkeys/<int:passkey_id>/remove", methods=["POST"])
def staff_passkey_remove(passkey_id: int) -> Response:
    """Remove one; a staff member always keeps a second factor (an app or a passkey)."""
    staff = login_state.current_staff()
    found = passkey_rows.find("staff", staff.id, passkey_id)
    if found is None:
        abort(404)
    others = len(passkey_rows.owned("staff", staff.id)) - 1
    if others == 0 and authenticators.get("staff", staff.id) is None:
        flash("This is your only second factor: add another before removing it.", "error")
        return redirect(url_for(".staff_passkeys"))
    name = passkey_rows.remove(found)
    audit.record("passkey_removed", staff_id=staff.id)
    flash(f"Passkey removed: {name}.", "info")
    return redirect(url_for(".staff_passkeys"))


@bp.route("/customers/<row_id:customer_id>/passkeys/<int:passkey_id>/remove", methods=["POST"])
def customer_passkey_remove(customer_id: int, passkey_id: int) -> Response:
    """An admin removes a customer's passkey (audited with the staff id; notice sent)."""
    customer = db.session.get(Customer, customer_id)
    found = passkey_rows.find("customer", customer_id, passkey_id) if customer else None
    if found is None:
        abort(404)
    name = passkey_rows.remove(found)
    passkey_rows.offer_state(customer)
    staff = login_state.current_staff()
    audit.record("passkey_removed", customer_id=customer_id, staff_id=staff.id, reason="staff")
    send_security_notice(customer, "passkey_removed", name=name)
    flash(f"Passkey removed: {name}.", "info")
    return redirect(url_for(".customer", customer_id=customer_id))
