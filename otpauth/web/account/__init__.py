"""The customer's own account pages under ``/account/``: sessions (and authenticator apps)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from . import authenticator_views, sessions_views  # noqa: E402, F401
