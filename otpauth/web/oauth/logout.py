"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at ``/oauth/logout``.

A GET or a relying party's POST ends the session at once only when its ``id_token_hint``
is one we signed and names this very session; otherwise it shows a button (a POST with our
CSRF token), so a link or form on another site cannot sign a customer out. The browser
goes back only to a
``post_logout_redirect_uri`` registered for the client, with ``state``; a wrong one gets
our 400 page, never a redirect.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from ...oidc import clients
from ...oidc.store import session_tag
from ...oidc.tokens import Hint, read_id_token_hint
from ...platform.catalog import gettext as _
from ...signin import audit
from ...signin.sessions import current_record, end_session
from .. import origin_check
from ..errors import render_error
from .views import bp, no_500

FIELDS = ("id_token_hint", "post_logout_redirect_uri", "state", "client_id")


def _target(hint: Hint | None) -> tuple[bool, str | None]:
    """(ok, where to go): ok False when a redirect URI was asked for but is not allowed."""
    uri = request.values.get("post_logout_redirect_uri")
    if not uri:
        return True, None
    client_id = request.values.get("client_id") or (hint.audience[0] if hint else None)
    client = clients.find(client_id)
    if client is None or uri not in client.post_logout_list:
        return False, None
    if hint is not None and client.client_id not in hint.audience:
        return False, None
    state = request.values.get("state")
    if state:
        uri += ("&" if "?" in uri else "?") + urlencode({"state": state})
    return True, uri


def _names_this_session(hint: Hint | None) -> bool:
    record = current_record() if current_user.is_authenticated else None
    return bool(hint and record and hint.sid and hint.sid == session_tag(record.sid))


def _sign_out() -> None:
    if current_user.is_authenticated and current_user.kind == "customer":
        audit.record("logout", customer_id=current_user.id)
        end_session()


def _confirmed() -> bool:
    """A POST of our own confirmation button (its CSRF token checked here: the view is
    exempt from the site-wide check so that a relying party may POST to it too)."""
    if request.method != "POST":
        return False
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True


@bp.route("/oauth/logout", methods=["GET", "POST"])
@origin_check.exempt
@no_500(page=True)
def logout() -> Any:
    """End the otpauth session for a relying party, then go back to it."""
    hint_value = request.values.get("id_token_hint")
    hint = read_id_token_hint(hint_value) if hint_value else None
    if hint_value and hint is None:
        return render_error(400, _("This sign-out link is not valid."))
    ok, target = _target(hint)
    if not ok:
        return render_error(400, _("This sign-out link is not valid."))
    if not _names_this_session(hint) and not _confirmed():
        fields = {k: request.values.get(k) for k in FIELDS if request.values.get(k)}
        signed_in = current_user.is_authenticated
        return render_template("oidc/logout.html", fields=fields, signed_in=signed_in)
    _sign_out()
    return redirect(target or url_for("auth.request_code"))
