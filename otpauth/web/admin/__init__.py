"""The ops console (``/admin``): staff sign-in, overview, customers, support, audit, import."""

from __future__ import annotations

from flask import Flask

from ...platform.timefmt import display_time
from . import (
    hash_slots,
    lockout,
    views_audit,
    views_auth,
    views_customers,
    views_oidc,
    views_overview,
    views_passkeys,
    views_staff,
)
from .blueprint import bp

# routes on bp
VIEWS = (
    views_audit,
    views_auth,
    views_customers,
    views_oidc,
    views_overview,
    views_passkeys,
    views_staff,
)


def init_app(app: Flask) -> None:
    """Register the console, its lockout counter and the display-time filter."""
    lockout.init_app(app)
    hash_slots.init_app(app)
    app.add_template_filter(display_time, "display_time")
    app.register_blueprint(bp)
