"""The applications that sign customers in through otpauth (admins only): a read-only list."""

from __future__ import annotations

from flask import render_template

from ...oidc import clients
from .blueprint import bp


@bp.route("/clients/")
def oidc_clients() -> str:
    """Every registered client: redirect URIs, kind and last use."""
    return render_template("admin/clients.html", clients=clients.all_clients())
