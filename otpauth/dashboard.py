"""The customer's own page, and the site root."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from . import audit
from .auth.forms import ActionForm
from .sessions import customer_required

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def root() -> Response:
    """The dashboard for a logged-in customer, the request page for everyone else."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("auth.request_code"))


@bp.route("/dashboard/")
@customer_required
def index() -> str:
    """Name, type, contacts (and whether verified), last login, recent sign-ins."""
    sign_ins = getattr(current_user, "recent_sign_ins", None)  # loaded with the customer
    if sign_ins is None:
        sign_ins = audit.recent(customer_id=current_user.id, limit=5, event="login")
    return render_template(
        "dashboard/index.html", customer=current_user, sign_ins=sign_ins, logout_form=ActionForm()
    )
