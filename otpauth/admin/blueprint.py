"""The console's blueprint and the guard that applies the role table to every request."""

from __future__ import annotations

import os

from flask import Blueprint, abort, g, redirect, request, url_for
from werkzeug.wrappers import Response

from .login_state import current_staff
from .roles import allowed

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder=os.path.join(os.path.dirname(__file__), "templates"),
)


@bp.before_request
def guard() -> Response | None:
    """Public sign-in pages pass; others need a complete staff login and a role allowed."""
    staff = current_staff()
    g.staff = staff
    verdict = allowed(request.endpoint, staff.role if staff else None)
    if verdict is None:
        return None
    if staff is None:
        return redirect(url_for("admin.login"))
    if not verdict:
        abort(403)
    return None


@bp.context_processor
def staff_context() -> dict:
    """The signed-in member for the console's layout."""
    return {"staff": g.get("staff")}
