"""The audit search (page and CSV) and the CSV import of customers."""

from __future__ import annotations

import base64
from typing import Any

from flask import Response, current_app, g, render_template, request

from ...platform.extensions import db
from ...signin.audit import EVENTS
from ...signin.customer_csv import ImportReport, import_customers
from ..uploads import accepts_files
from . import audit_search
from .blueprint import bp
from .forms import ImportForm
from .views_customers import PER_PAGE, page_number


@bp.route("/audit/")
def audit() -> Any:
    """Events filtered by customer, event, channel, ip, contact, since, until."""
    try:
        filters = audit_search.parse(request.args, current_app.config["PHONE_DEFAULT_REGION"])
    except audit_search.FilterError as exc:
        page = render_template("admin/audit.html", events=None, error=str(exc), names=EVENTS)
        return page, 400
    query = audit_search.query(filters)
    if request.args.get("format") == "csv":
        # Plain rows and one body: the ORM session and app context end with the request.
        rows = db.session.execute(audit_search.as_rows(query)).all()
        return Response(
            "".join(audit_search.csv_lines(rows)),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=audit.csv"},
        )
    events = db.paginate(query, page=page_number(), per_page=PER_PAGE * 2, error_out=False)
    return render_template(
        "admin/audit.html",
        events=events,
        names=EVENTS,
        error=None,
        staff_names=audit_search.staff_names(events.items),
    )


@bp.route("/import", methods=["GET", "POST"])
@accepts_files("file")
def import_csv() -> Any:
    """Upload a CSV of customers; answer with the line-by-line report."""
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        try:
            text = form.file.data.read().decode("utf-8")
        except UnicodeDecodeError:
            form.file.errors = ["The file is not UTF-8 text."]
        else:
            region = current_app.config["PHONE_DEFAULT_REGION"]
            report = import_customers(text, region, staff_id=g.staff.id)
    status = 400 if form.errors else 200
    rejects = rejects_href(report) if report and report.rejected else None
    page = render_template("admin/import.html", form=form, report=report, rejects=rejects)
    return page, status


def rejects_href(report: ImportReport) -> str:
    """The rejected rows as a CSV download in the page itself (a ``data:`` URL): nothing of
    the upload is kept on the server, and the link works without JavaScript."""
    encoded = base64.b64encode(report.rejects_csv().encode("utf-8")).decode("ascii")
    return "data:text/csv;charset=utf-8;base64," + encoded
