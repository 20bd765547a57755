"""``/account/authenticator/``: turn an authenticator app on (QR code, confirm) or off.

Until it is confirmed, the new secret lives only in the session cookie, encrypted with the
SecretBox (the cookie is signed, not secret), so reloading the page keeps the same QR code
and an abandoned enrolment leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import ValidationError
from wtforms.validators import InputRequired

from ...delivery.notices import send_security_notice
from ...platform.catalog import gettext as _
from ...platform.catalog import lazy_gettext as _l
from ...signin import authenticators
from ...signin.otp.totp import InvalidToken, canonical_code, new_secret, provisioning_uri, qr_svg
from ...signin.otp.totp import secret_box as box
from ...signin.sessions import customer_required
from ..auth.forms import TextField
from .blueprint import bp

PENDING_SECRET = "totp_enrol"  # session key: the unconfirmed secret, encrypted
WRONG = _l("Invalid OTP. Check that your phone's clock is right and type the newest code.")


class CodeForm(FlaskForm):
    """A code from the app (or, to remove it, a recovery code)."""

    code = TextField(
        _l("Code from your app"),
        validators=[InputRequired(message=_l("Enter the code your app shows."))],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"},
    )

    def validate_code(self, field: TextField) -> None:
        value = canonical_code(field.data or "")
        if value is None:
            raise ValidationError(_("Invalid OTP: enter the 6-digit code or a recovery code."))
        field.data = value


def _pending_secret() -> str:
    """The secret being enrolled: the one in the session, or a new one put there."""
    token = session.get(PENDING_SECRET)
    if isinstance(token, str):
        try:
            return box().decrypt(token)
        except InvalidToken:
            pass  # a key was rotated away, or the cookie is old: start again
    secret = new_secret()
    session[PENDING_SECRET] = box().encrypt(secret)
    return secret


def _enrol_page(form: CodeForm, status: int = 200, error: str | None = None) -> Any:
    secret = _pending_secret()
    account = current_user.email or current_user.phone or f"customer {current_user.id}"
    uri = provisioning_uri(secret, account, current_app.config["SITE_NAME"])
    page = render_template(
        "account/authenticator.html",
        authenticator=None,
        svg=qr_svg(uri),
        secret=secret,
        form=form,
        action=url_for("account.authenticator"),
        error=error,
        show_sign_out=True,
    )
    return page, status


def _manage_page(found: Any, form: CodeForm, status: int = 200, error: str | None = None) -> Any:
    page = render_template(
        "account/authenticator.html",
        authenticator=found,
        form=form,
        error=error,
        show_sign_out=True,
    )
    return page, status


@bp.route("/authenticator/", methods=["GET", "POST"])
@customer_required
def authenticator() -> Any:
    """Without an app: the QR code and a confirm form; with one: when added, and removal."""
    found = authenticators.get("customer", current_user.id)
    form = CodeForm()
    if found is not None:
        return _manage_page(found, CodeForm(formdata=None))
    if not form.validate_on_submit():
        return _enrol_page(form, 400 if form.errors else 200)
    codes = authenticators.confirm_enrolment(
        "customer", current_user.id, _pending_secret(), form.code.data
    )
    if codes is None:
        return _enrol_page(form, 400, WRONG)
    session.pop(PENDING_SECRET, None)
    send_security_notice(current_user, "authenticator_added")
    return render_template("account/recovery_codes.html", codes=codes, show_sign_out=True)


@bp.route("/authenticator/remove", methods=["POST"])
@customer_required
def remove_authenticator() -> Any:
    """Remove the app, given a current code from it or an unused recovery code."""
    found = authenticators.get("customer", current_user.id)
    if found is None:
        return redirect(url_for("account.authenticator"))
    form = CodeForm()
    if not form.validate_on_submit():
        return _manage_page(found, form, 400)
    if not authenticators.verify("customer", current_user.id, form.code.data):
        return _manage_page(found, form, 400, WRONG)
    authenticators.remove("customer", current_user.id)
    send_security_notice(current_user, "authenticator_removed")
    flash(_("The authenticator app was removed. Sign in with a code by e-mail or SMS."), "info")
    return redirect(url_for("account.authenticator"))
