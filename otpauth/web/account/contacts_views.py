"""``/account/contacts/``: change the e-mail address or phone number on file.

Needs a sign-in within ``REAUTH_SECONDS``; then a code goes to the new contact and only
its right code saves the change. The old contact and the other one get a security notice,
and every other session of the customer ends.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import ValidationError
from wtforms.validators import InputRequired, Length

from ...delivery.notices import send_security_notice
from ...platform.catalog import gettext as _
from ...platform.catalog import lazy_gettext as _l
from ...signin import channels
from ...signin.otp.totp import InvalidToken, secret_box
from ...signin.sessions import customer_required
from ..auth.forms import MAX_CONTACT_LENGTH, TextField, VerifyForm, resolve_contact
from ..auth.views import refusal, wrong_code_message
from . import contact_change
from .blueprint import bp
from .reauth import ask_for_sign_in, recent_sign_in

PENDING = "contact_change"  # session: channel, tag, masked, and the contact sealed


class ContactForm(FlaskForm):
    contact = TextField(
        _l("New e-mail address or mobile number"),
        validators=[
            InputRequired(message=_l("Enter the new e-mail address or mobile number.")),
            Length(max=MAX_CONTACT_LENGTH, message=_l("That is too long to be a contact.")),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"},
    )
    resolved: tuple[str, str] | None = None

    def validate_contact(self, field: TextField) -> None:
        region = current_app.config["PHONE_DEFAULT_REGION"]
        self.resolved = resolve_contact(channels.AUTO, field.data or "", region)
        if self.resolved is None:
            raise ValidationError(_("Enter a valid e-mail address or mobile number."))
        channel, contact = self.resolved
        if current_user.contact(channel) == contact:
            raise ValidationError(_("That is already on file."))


def _page(form: ContactForm, status: int = 200, error: str | None = None) -> Any:
    page = render_template("account/contacts.html", form=form, error=error, show_sign_out=True)
    return page, status


@bp.route("/contacts/", methods=["GET", "POST"])
@customer_required
def contacts() -> Any:
    """The contacts on file and a form for a new one (after a recent sign-in)."""
    if not recent_sign_in():
        return ask_for_sign_in(url_for(".contacts"))
    form = ContactForm()
    if not form.validate_on_submit() or form.resolved is None:
        return _page(form, 400 if form.errors else 200)
    channel, contact = form.resolved
    change, result = contact_change.start(current_user, channel, contact)
    if not result.issued:
        message, headers = refusal(result)
        return *_page(form, 429, message), headers
    session[PENDING] = {
        "channel": channel,
        "tag": change.tag,
        "masked": channels.get(channel).mask(contact),
        "sealed": secret_box().encrypt(contact),
    }
    return redirect(url_for(".contacts_verify"))


def _pending() -> contact_change.Change | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    try:
        contact = secret_box().decrypt(pending["sealed"])
    except (InvalidToken, KeyError, TypeError):
        return None
    return contact_change.Change(pending["channel"], contact, pending["tag"])


@bp.route("/contacts/verify", methods=["GET", "POST"])
@customer_required
def contacts_verify() -> Any:
    """The code sent to the new contact; the right one saves the change."""
    change = _pending()
    if change is None:
        return redirect(url_for(".contacts"))
    form = VerifyForm()
    masked = session[PENDING]["masked"]
    if not form.validate_on_submit():
        page = render_template(
            "account/contacts_verify.html", form=form, masked=masked, show_sign_out=True
        )
        return page, 400 if form.errors else 200
    result, old = contact_change.finish(current_user, change, form.code.data)
    if old is None and result.status != "ok":
        page = render_template(
            "account/contacts_verify.html",
            form=form,
            masked=masked,
            code_error=wrong_code_message(result),
            show_sign_out=True,
        )
        return page, 400
    session.pop(PENDING, None)
    found = channels.get(change.channel)
    send_security_notice(current_user, f"{found.column}_changed", also={change.channel: old})
    flash(_("Saved. We told your other contacts about the change."), "info")
    return redirect(url_for("dashboard.index"))
