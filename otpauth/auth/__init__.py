"""The sign-in blueprint and the Flask-Login wiring."""

from __future__ import annotations

import time
from urllib.parse import quote

from flask import Flask, current_app, redirect, request, session, url_for
from flask_login import logout_user
from werkzeug.wrappers import Response

from ..extensions import db, login_manager
from ..models import Customer
from .views import bp


@login_manager.user_loader
def load_customer(customer_id: str) -> Customer | None:
    """The logged-in customer, or None once deactivated (which logs them out)."""
    try:
        customer = db.session.get(Customer, int(customer_id))
    except ValueError:
        return None
    return customer if customer is not None and customer.active else None


@login_manager.unauthorized_handler
def to_login() -> Response:
    """Send anonymous visitors to the request page, remembering where they were going."""
    return redirect(url_for("auth.request_code") + "?next=" + quote(request.path, safe="/"))


def expire_session() -> None:
    """End a login session SESSION_LIFETIME_SECONDS after the login, however active."""
    login_at = session.get("login_at")
    if "_user_id" in session and (
        not isinstance(login_at, int)
        or time.time() - login_at > current_app.config["SESSION_LIFETIME_SECONDS"]
    ):
        logout_user()
        session.clear()


def init_app(app: Flask) -> None:
    """Register the blueprint and bind Flask-Login."""
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    app.before_request(expire_session)
    app.register_blueprint(bp)
