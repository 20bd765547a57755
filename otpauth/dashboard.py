"""The customer's own page, and the site root."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from . import audit
from .auth.forms import ActionForm
from .i18n import time_zone_name
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
    """Name, type, contacts (and whether verified), the previous sign-in, recent ones."""
    sign_ins = audit.recent(customer_id=current_user.id, limit=5, event="login")
    # The newest login is the one that opened this page; "previous" is the one before it.
    previous = sign_ins[1] if len(sign_ins) > 1 else None
    return render_template(
        "dashboard/index.html",
        customer=current_user,
        sign_ins=sign_ins,
        previous=previous,
        time_zone_name=time_zone_name(),
        logout_form=ActionForm(),
    )
