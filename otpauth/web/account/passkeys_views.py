"""``/account/passkeys/``: the customer's passkeys (add, rename, remove) and the offer
made after a code sign-in (``Not now`` / ``Don't ask again``)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired, Length

from ...delivery.notices import send_security_notice
from ...platform.catalog import gettext as _
from ...platform.catalog import lazy_gettext as _l
from ...signin import audit, passkey_rows, passkeys
from ...signin.models import Passkey
from ...signin.sessions import customer_required
from ..auth.forms import TextField
from .blueprint import bp
from .reauth import ask_for_sign_in, recent_sign_in
from .sessions_views import describe

NOT_ADDED = _l("The passkey was not added. Try again.")


class RenameForm(FlaskForm):
    name = TextField(
        _l("Name"),
        validators=[
            InputRequired(message=_l("Enter a name.")),
            Length(max=passkey_rows.NAME_LENGTH),
        ],
    )


def _own(passkey_id: int) -> Passkey:
    found = passkey_rows.find("customer", current_user.id, passkey_id)
    if found is None:
        abort(404)
    return found


@bp.route("/passkeys/")
@customer_required
def passkeys_page() -> str:
    """The list: name, created, last used; add, rename, remove."""
    rows = passkey_rows.owned("customer", current_user.id)
    return render_template(
        "account/passkeys.html", rows=rows, enabled=passkeys.enabled(), show_sign_out=True
    )


@bp.route("/passkeys/options", methods=["POST"])
@customer_required
def passkey_options() -> Any:
    """Creation options for this customer (their passkeys excluded)."""
    if not passkeys.enabled():
        abort(404)
    name = current_user.email or current_user.phone or current_user.name
    return (
        passkeys.registration_options(current_user, name),
        200,
        {"Content-Type": "application/json"},
    )


@bp.route("/passkeys/", methods=["POST"])
@customer_required
def add_passkey() -> Any:
    """The browser's registration response: verified and stored (201), else 400."""
    if not passkeys.enabled():
        abort(404)
    name = describe(request.user_agent.string)
    try:
        added = passkeys.register(current_user, request.get_data(as_text=True), name)
    except passkeys.PasskeyError as exc:
        audit.record("passkey_add_failed", customer_id=current_user.id, reason=exc.reason)
        return jsonify(error=str(NOT_ADDED)), 400
    passkey_rows.offer_state(current_user)
    audit.record("passkey_added", customer_id=current_user.id)
    send_security_notice(current_user, "passkey_added", name=added.name)
    flash(_("Passkey added: %(name)s.", name=added.name), "info")
    return jsonify(id=added.id, name=added.name), 201


@bp.route("/passkeys/<int:passkey_id>/rename", methods=["POST"])
@customer_required
def rename_passkey(passkey_id: int) -> Any:
    found = _own(passkey_id)
    form = RenameForm()
    if not form.validate_on_submit():
        flash(" ".join(form.name.errors) or _("Enter a name."), "error")
        return redirect(url_for(".passkeys_page"))
    passkey_rows.rename(found, form.name.data.strip())
    flash(_("Passkey renamed."), "info")
    return redirect(url_for(".passkeys_page"))


@bp.route("/passkeys/<int:passkey_id>/remove", methods=["POST"])
@customer_required
def remove_passkey(passkey_id: int) -> Any:
    """Remove one, after a sign-in within REAUTH_SECONDS (else the page asking for one)."""
    found = _own(passkey_id)
    if not recent_sign_in():
        return ask_for_sign_in(url_for(".passkeys_page"))
    name = passkey_rows.remove(found)
    passkey_rows.offer_state(current_user)
    audit.record("passkey_removed", customer_id=current_user.id)
    send_security_notice(current_user, "passkey_removed", name=name)
    flash(_("Passkey removed: %(name)s.", name=name), "info")
    return redirect(url_for(".passkeys_page"))


@bp.route("/passkeys/offer", methods=["POST"])
@customer_required
def passkey_offer() -> Any:
    """``Not now`` (ask at the next code sign-in) or ``Don't ask again`` (kept on file)."""
    if request.form.get("answer") == "never":
        passkey_rows.save_user(current_user, passkey_offer=passkey_rows.NEVER)
    else:
        session[passkeys.NOT_NOW] = True
    return redirect(url_for("dashboard.index"))
