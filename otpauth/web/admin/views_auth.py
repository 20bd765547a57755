"""Staff sign-in: the setup link, password then code, sign-out."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from ...platform import ip_limits
from ...platform.extensions import db
from ...signin import audit, authenticators
from ...signin.models import Staff, utcnow
from ...signin.otp.totp import InvalidToken, new_secret, provisioning_uri, qr_svg, secret_box
from . import accounts, hash_slots, login_state
from .blueprint import bp
from .forms import CodeForm, LoginForm, PasswordSetupForm
from .lockout import staff_lockout

WRONG = "Wrong e-mail or password."
BUSY = "The console is busy. Try again in a few seconds."
# A staff member has just passed the password step: telling them that a code works once
# reveals nothing, and saves a newcomer retyping the code they used to finish the setup.
WRONG_CODE = (
    "Invalid OTP. Each code works once: if you have just used this one, wait for the next "
    "code in your app (at most 30 seconds)."
)
# Session key: staff id, setup token hash, and the pending secret encrypted with the
# SecretBox (the cookie is signed, not secret: the member's second factor stays unreadable).
SETUP = "admin_setup"
LIMIT = "RATELIMIT_ADMIN_LOGIN"  # per-IP, on the POSTs of the password, code and setup forms


def _busy_page(form: Any, template: str, **context: Any) -> Any:
    """Every password-hashing slot is taken: refuse at once rather than queue (503)."""
    page = render_template(template, form=form, error=BUSY, **context)
    return page, 503, {"Retry-After": str(hash_slots.RETRY_AFTER)}


def _locked_page(form: Any, template: str, seconds: int) -> Any:
    minutes = -(-seconds // 60)
    message = f"Too many attempts. Try again in {minutes} minute{'s' * (minutes != 1)}."
    return render_template(template, form=form, error=message), 429, {"Retry-After": str(seconds)}


@bp.route("/login/", methods=["GET", "POST"])
@ip_limits.per_ip(LIMIT)
def login() -> Any:
    """The password step."""
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("admin/login.html", form=form), 400 if form.errors else 200
    lockout, email = staff_lockout(), form.email.data
    wait = lockout.locked_for(email)
    if wait:
        return _locked_page(form, "admin/login.html", wait)
    try:
        check = accounts.authenticate(email, form.password.data)
    except hash_slots.Busy:
        return _busy_page(form, "admin/login.html")
    if not check.ok or check.staff is None:
        lockout.fail(email)
        audit.record("staff_login_failed", staff_id=check.staff.id if check.staff else None)
        return render_template("admin/login.html", form=form, error=WRONG), 400
    login_state.remember_password_step(check.staff)
    return redirect(url_for(".login_verify"))


@bp.route("/login/verify/", methods=["GET", "POST"])
@ip_limits.per_ip(LIMIT)
def login_verify() -> Any:
    """The code step: the staff member's authenticator app or a recovery code."""
    staff = login_state.password_step()
    if staff is None:
        return redirect(url_for(".login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("admin/verify.html", form=form), 400 if form.errors else 200
    lockout = staff_lockout()
    wait = lockout.locked_for(staff.email)
    if wait:
        return _locked_page(form, "admin/verify.html", wait)
    if not authenticators.verify(staff.kind, staff.id, form.code.data):
        lockout.fail(staff.email)
        audit.record("staff_login_failed", staff_id=staff.id, reason="code")
        return render_template("admin/verify.html", form=form, error=WRONG_CODE), 400
    lockout.clear(staff.email)
    staff.last_login_at = utcnow()
    audit.record("staff_login", staff_id=staff.id)
    db.session.commit()
    login_state.begin(staff)
    return redirect(url_for(".overview"))


@bp.route("/logout/", methods=["POST"])
def logout() -> Response:
    """End the staff session."""
    staff = login_state.current_staff()
    if staff is not None:
        audit.record("staff_logout", staff_id=staff.id)
    login_state.end()
    return redirect(url_for(".login"))


@bp.route("/setup/<token>", methods=["GET", "POST"])
@ip_limits.per_ip(LIMIT)
def setup(token: str) -> Any:
    """The one-time link: choose a password, then enrol an authenticator app."""
    pending = session.get(SETUP)
    if isinstance(pending, dict) and pending.get("token") == accounts.token_hash(token):
        return _enrol(pending)
    staff = accounts.by_setup_token(token)
    if staff is None:
        return render_template("admin/link_dead.html"), 404
    form = PasswordSetupForm(member=staff)
    if not form.validate_on_submit():
        status = 400 if form.errors else 200
        return render_template("admin/setup_password.html", form=form, member=staff), status
    try:
        accounts.set_password(staff, form.password.data)  # spends the link
    except hash_slots.Busy:
        return _busy_page(form, "admin/setup_password.html", member=staff)
    session[SETUP] = {"id": staff.id, "token": accounts.token_hash(token)}
    _pending_secret(session[SETUP])
    return redirect(url_for(".setup", token=token))


def _pending_secret(pending: dict) -> str:
    """The secret being enrolled, kept encrypted in ``pending`` (a new one if unreadable)."""
    sealed = pending.get("secret")
    if isinstance(sealed, str):
        try:
            return secret_box().decrypt(sealed)
        except InvalidToken:
            pass  # a key was rotated away: a new QR code
    secret = new_secret()
    pending["secret"] = secret_box().encrypt(secret)
    session[SETUP] = pending
    return secret


def _enrol(pending: dict) -> Any:
    """The second half of the setup page: scan, confirm, see the recovery codes once."""
    staff = db.session.get(Staff, pending["id"])
    # A link re-issued since (``staff create`` again) voids this half-finished setup.
    if staff is None or not staff.active or staff.setup_token_hash or not staff.password_hash:
        session.pop(SETUP, None)
        return render_template("admin/link_dead.html"), 404
    form = CodeForm()
    status = 200
    secret = _pending_secret(pending)
    if form.validate_on_submit():
        try:
            codes = authenticators.confirm_enrolment(staff.kind, staff.id, secret, form.code.data)
        except ValueError:  # enrolled already (a second tab): the setup is complete
            session.pop(SETUP, None)
            return redirect(url_for(".login"))
        if codes is not None:  # audited as authenticator_added by the authenticators module
            session.pop(SETUP, None)
            return render_template("admin/recovery.html", codes=codes, member=staff)
        form.code.errors = ["Invalid OTP."]
    if form.errors:
        status = 400
    uri = provisioning_uri(secret, staff.email, current_app.config["SITE_NAME"] + " ops")
    context = {"svg": qr_svg(uri), "secret": secret, "form": form}
    return render_template(
        "admin/setup_enrol.html", member=staff, action=request.path, **context
    ), status
