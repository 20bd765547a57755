"""Staff management (admins only): the list and deactivation."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from ...platform.extensions import db
from ...signin.models import Staff
from . import accounts
from .blueprint import bp
from .forms import ActionForm


@bp.route("/staff/")
def staff() -> str:
    """Every staff member, with a deactivate button for the active ones."""
    members = db.session.scalars(select(Staff).order_by(Staff.id)).all()
    return render_template("admin/staff.html", members=members, action_form=ActionForm())


@bp.route("/staff/<row_id:staff_id>/deactivate", methods=["POST"])
def staff_deactivate(staff_id: int) -> Response:
    """Stop a member signing in and end their sessions."""
    member = db.session.get(Staff, staff_id)
    if member is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    if member.id == g.staff.id:
        flash("You cannot deactivate yourself.", "error")
    else:
        ended = accounts.deactivate(member, by=g.staff.id)
        flash(f"{member.name} deactivated; {ended} session(s) ended.", "info")
    return redirect(url_for(".staff"))
