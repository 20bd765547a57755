"""Error pages: every failure answers with a page of ours, never a traceback.

Redis or database outages answer 503 and are logged; nobody is logged in by them
because the view that would log someone in never gets past the failing call.
"""

from __future__ import annotations

import logging

import redis
from flask import Flask, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from limits.errors import StorageError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from . import audit
from .extensions import db

log = logging.getLogger(__name__)

PAGES = {400, 403, 404, 429, 500, 503}
TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Page not found",
    405: "Method not allowed",
    413: "Request too large",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Service unavailable",
}


def render_error(code: int, message: str | None = None, headers: dict | None = None) -> tuple:
    """Our page for ``code``; codes without a page of their own use the 400 page's layout."""
    template = f"errors/{code}.html" if code in PAGES else "errors/400.html"
    html = render_template(template, code=code, title=TITLES.get(code, "Error"), message=message)
    return html, code, headers or {}


def handle_http(exc: HTTPException) -> tuple:
    return render_error(exc.code or 500, None, dict(exc.get_headers()) if exc.code == 405 else None)


def handle_csrf(exc: CSRFError) -> tuple:
    log.info("csrf: %s %s refused: %s", request.method, request.path, exc.description)
    return render_error(
        400, "This form has expired or was not sent from our site. Please go back and try again."
    )


def handle_rate_limit(exc: RateLimitExceeded) -> tuple:
    audit.record("otp_rate_limited")
    return render_error(429, "Too many requests from your network. Please wait and try again.")


def handle_unavailable(exc: Exception) -> tuple:
    """Redis or the database is down: say so, log it, let nobody in."""
    if isinstance(exc, DBAPIError | OperationalError):
        db.session.rollback()
        part = "database"
    else:
        part = "redis"
    log.error(
        "unavailable: %s failed during %s %s: %s",
        part,
        request.method,
        request.path,
        type(exc).__name__,
    )
    return render_error(503, None, {"Retry-After": "30"})


def handle_unexpected(exc: Exception) -> tuple:
    original = getattr(exc, "original_exception", exc)
    if isinstance(original, redis.RedisError | StorageError | DBAPIError):
        return handle_unavailable(original)
    log.exception("unexpected error during %s %s", request.method, request.path)
    return render_error(500)


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(RateLimitExceeded, handle_rate_limit)
    app.register_error_handler(redis.RedisError, handle_unavailable)
    app.register_error_handler(StorageError, handle_unavailable)
    app.register_error_handler(DBAPIError, handle_unavailable)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(ServiceUnavailable, handle_http)
