"""Customers: search, create, edit, the support panel and its actions."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from ...platform.extensions import db
from ...signin import audit
from ...signin import customers as service
from ...signin.customer_csv import export_rows
from ...signin.models import Customer
from ...signin.support_panel import support_panel
from ..account.sessions_views import describe
from ..errors import render_error
from .audit_search import staff_names
from .blueprint import bp
from .forms import REASON_LENGTH, ActionForm, CustomerForm, ReasonForm

PER_PAGE = 25


def _customer(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        abort(404)
    return customer


def page_number() -> int:
    """The ``page`` query argument, 1 for anything unusable."""
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), 100_000)


@bp.route("/customers/")
def customers() -> Any:
    """Search by name, e-mail or phone; paginated."""
    q = request.args.get("q", "")
    if not q.isprintable():  # NUL, control characters: no customer's details hold them
        return render_error(400, "Search: remove the control characters.")
    query = service.search_query(q, current_app.config["PHONE_DEFAULT_REGION"])
    results = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template("admin/customers.html", q=q, results=results)


@bp.route("/customers/export.csv")
def customers_export() -> Response:
    """Every customer as the CLI's CSV (``customers export``): the same columns and the same
    guard against spreadsheet formulas; the download is audited."""
    query = select(Customer).order_by(Customer.id).execution_options(yield_per=1000)
    body = "".join(export_rows(db.session.scalars(query)))
    audit.record("customers_exported", staff_id=g.staff.id)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=customers.csv"},
    )


def _save(form: CustomerForm, customer: Customer | None) -> Customer | None:
    """Validate with the service; on a refusal put its message on the form's field."""
    region = current_app.config["PHONE_DEFAULT_REGION"]
    f = form
    try:
        data = service.validate(f.name.data, f.email.data, f.phone.data, f.type.data, region)
        if customer is None:
            return service.create(data, staff_id=g.staff.id)
        return service.update(customer, data, staff_id=g.staff.id)
    except service.CustomerError as exc:
        db.session.rollback()
        field = getattr(form, exc.field if exc.field != "contact" else "email", form.name)
        field.errors = [*field.errors, exc.message]
        return None


@bp.route("/customers/new", methods=["GET", "POST"])
def customer_new() -> Any:
    """Create a customer."""
    form = CustomerForm()
    if form.validate_on_submit():
        saved = _save(form, None)
        if saved is not None:
            flash(f"Customer {saved.id} created.", "info")
            return redirect(url_for(".customer", customer_id=saved.id))
    status = 400 if form.errors else 200
    return render_template("admin/customer_form.html", form=form, customer=None), status


@bp.route("/customers/<row_id:customer_id>/edit", methods=["GET", "POST"])
def customer_edit(customer_id: int) -> Any:
    """Edit name, contacts and type."""
    customer = _customer(customer_id)
    form = CustomerForm(obj=None if request.method == "POST" else customer)
    if request.method == "GET":
        form.type.data = customer.customer_type
    if form.validate_on_submit() and _save(form, customer) is not None:
        flash("Customer saved.", "info")
        return redirect(url_for(".customer", customer_id=customer.id))
    status = 400 if form.errors else 200
    return render_template("admin/customer_form.html", form=form, customer=customer), status


@bp.route("/customers/<row_id:customer_id>")
def customer(customer_id: int) -> str:
    """Details and the support panel."""
    panel = support_panel(_customer(customer_id))
    return render_template(
        "admin/customer.html",
        panel=panel,
        action_form=ActionForm(),
        staff_names=staff_names(panel.events),
        browser=describe,
    )


def _action(customer_id: int, do, message: str) -> Response:  # noqa: ANN001
    customer = _customer(customer_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    result = do(customer, staff_id=g.staff.id)
    flash(message.format(result=result), "info")
    return redirect(url_for(".customer", customer_id=customer.id))


@bp.route("/customers/<row_id:customer_id>/unlock", methods=["POST"])
def unlock(customer_id: int) -> Response:
    """Lift the contacts' limits and daily cap."""
    return _action(customer_id, service.unlock, "Unlocked: {result} limit(s) cleared.")


def _asked(customer_id: int, do, title: str, label: str, message: str) -> Any:  # noqa: ANN001
    """An action that asks first: GET shows a page naming the customer and asking why;
    POST with a reason does it (the reason goes into the audit event); no JavaScript."""
    customer = _customer(customer_id)
    form = ReasonForm()
    if form.validate_on_submit():
        reason = audit.printable(form.reason.data, REASON_LENGTH)
        result = do(customer, staff_id=g.staff.id, reason=reason)
        flash(message.format(result=result), "info")
        return redirect(url_for(".customer", customer_id=customer.id))
    page = render_template(
        "admin/confirm.html", form=form, customer=customer, title=title, label=label
    )
    return page, 400 if form.errors else 200


@bp.route("/customers/<row_id:customer_id>/sign-out", methods=["GET", "POST"])
def sign_out(customer_id: int) -> Any:
    """End all the customer's sessions, once asked why."""
    title = "Sign out everywhere"
    done = "{result} session(s) ended."
    return _asked(customer_id, service.end_sessions, title, "Sign out everywhere", done)


@bp.route("/customers/<row_id:customer_id>/deactivate", methods=["GET", "POST"])
def deactivate(customer_id: int) -> Any:
    """Stop the customer signing in (ends their sessions too), once asked why."""
    done = "Deactivated; {result} session(s) ended."
    return _asked(customer_id, service.deactivate, "Deactivate", "Deactivate", done)


@bp.route("/customers/<row_id:customer_id>/reactivate", methods=["POST"])
def reactivate(customer_id: int) -> Response:
    """Let the customer sign in again."""
    return _action(customer_id, service.reactivate, "Reactivated.")
