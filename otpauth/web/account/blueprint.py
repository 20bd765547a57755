"""The account pages' blueprint (``/account/``), apart so its views import it one way."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")
