"""The sign-in blueprint and the Flask-Login wiring (the user loader: signin.sessions)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask, redirect, request, url_for
from werkzeug.wrappers import Response

from ...platform.extensions import login_manager
from .passkey_views import bp as passkey_bp
from .views import bp


@login_manager.unauthorized_handler
def to_login() -> Response:
    """Send anonymous visitors to the request page, remembering where they were going."""
    return redirect(url_for("auth.request_code") + "?next=" + quote(request.path, safe="/"))


def init_app(app: Flask) -> None:
    """Register the blueprint and bind Flask-Login."""
    login_manager.init_app(app)
    # The server-side session (otpauth.signin.sessions) is what protects a login: it ends on
    # logout, revoke, idle and lifetime, and lists each browser's address and agent. Flask-
    # Login's "basic" mode would only mark a cookie non-fresh when those change (nothing
    # here asks for freshness), at the price of a SHA-512 and a cookie key per request.
    login_manager.session_protection = None
    app.register_blueprint(bp)
    app.register_blueprint(passkey_bp)
