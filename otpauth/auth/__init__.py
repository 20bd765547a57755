"""The sign-in blueprint and the Flask-Login wiring (the user loader is otpauth.sessions')."""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask, redirect, request, url_for
from werkzeug.wrappers import Response

from ..extensions import login_manager
from .views import bp


@login_manager.unauthorized_handler
def to_login() -> Response:
    """Send anonymous visitors to the request page, remembering where they were going."""
    return redirect(url_for("auth.request_code") + "?next=" + quote(request.path, safe="/"))


def init_app(app: Flask) -> None:
    """Register the blueprint and bind Flask-Login."""
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    app.register_blueprint(bp)
