"""Staff management (admins only): the list, new members (their setup link shown once)
and deactivation."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from ...platform.extensions import db
from ...signin.models import Staff
from . import accounts
from .blueprint import bp
from .forms import ActionForm, StaffForm


@bp.route("/staff/")
def staff() -> str:
    """Every staff member, with a deactivate button for the active ones."""
    members = db.session.scalars(select(Staff).order_by(Staff.id)).all()
    return render_template("admin/staff.html", members=members, action_form=ActionForm())


@bp.route("/staff/new", methods=["GET", "POST"])
def staff_new() -> Any:
    """Add a member and show their one-time setup link once (like ``staff create``)."""
    form = StaffForm()
    if form.validate_on_submit():
        try:
            member, token = accounts.create(form.email.data, form.name.data, form.role.data)
        except accounts.StaffError as exc:
            form.email.errors = [*form.email.errors, str(exc)]
        else:
            # Rendered, never flashed: a flash would keep the link in the session cookie.
            link = accounts.setup_link(token)
            return render_template("admin/staff_link.html", member=member, link=link)
    status = 400 if form.errors else 200
    return render_template("admin/staff_new.html", form=form), status


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
