"""The console's blueprint and the guard that applies the role table to every request."""

from __future__ import annotations

import os
from urllib.parse import urlencode

from flask import Blueprint, abort, g, redirect, request, url_for
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from .login_state import current_staff
from .roles import allowed

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder=os.path.join(os.path.dirname(__file__), "templates"),
)


class RowIdConverter(IntegerConverter):
    """``<row_id:...>``: an id as the database holds it, ASCII digits up to 2**31 - 1.

    Werkzeug's ``int`` takes any number of digits, and one past the SQL integer range
    made the database refuse the query (a 503 "database failed" for a typo); here the
    URL simply matches no route (404).
    """

    regex = r"[0-9]{1,10}"

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002, ANN001, ANN002, ANN003
        super().__init__(map, *args, min=1, max=2**31 - 1, **kwargs)


@bp.record_once
def _register_converter(state) -> None:  # noqa: ANN001
    state.app.url_map.converters["row_id"] = RowIdConverter


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


# The query arguments the console's own links carry over (search, filters, page, format).
LINK_ARGS = ("q", "customer", "event", "channel", "ip", "contact", "since", "until", "page")


def this_page(**changes: object) -> str:
    """A link to this page with its known query arguments and ``changes`` (e.g. the next
    page). Request arguments never reach ``url_for`` as keywords: ``?endpoint=`` or
    ``?_external=`` would otherwise break or rewrite the link."""
    args = {k: v for k in LINK_ARGS if (v := request.args.get(k))}
    args.update({k: str(v) for k, v in changes.items()})
    return f"{request.path}?{urlencode(args)}" if args else request.path


@bp.context_processor
def staff_context() -> dict:
    """The signed-in member for the console's layout, and ``this_page`` for its links."""
    return {"staff": g.get("staff"), "this_page": this_page}
