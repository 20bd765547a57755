"""Error pages: every failure answers with a page of ours, never a traceback.

Redis or database outages answer 503 and are logged; nobody is logged in by them
because the view that would log someone in never gets past the failing call.
"""

from __future__ import annotations

import logging
import time

import redis
from flask import Flask, has_request_context, render_template, request, session
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from limits.errors import StorageError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from ..platform import metrics
from ..platform.catalog import gettext as _
from ..platform.catalog import lazy_gettext as _l
from ..platform.extensions import db, limiter
from ..platform.i18n import wait_in_words
from ..platform.logs import scrubbed_traceback
from ..signin import audit
from ..signin.sessions import anonymous_for_this_request

log = logging.getLogger(__name__)

PAGES = {400, 403, 404, 429, 500, 503}
TITLES = {
    400: _l("Bad request"),
    403: _l("Forbidden"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    413: _l("Request too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("Service unavailable"),
}


CONSOLE = "/admin/"  # the ops console's pages: its own error page (English, no customer help)


SIGNED_IN_UNAVAILABLE = _l(
    "Your account pages are temporarily unavailable. Please try again in a few minutes."
)


def render_error(code: int, message: str | None = None, headers: dict | None = None) -> tuple:
    """Our page for ``code``; codes without a page of their own use the 400 page's layout.
    Under the console's path, the console's page."""
    template = f"errors/{code}.html" if code in PAGES else "errors/400.html"
    if has_request_context() and f"{request.path}/".startswith(CONSOLE):
        template = "admin/error.html"
    title = TITLES.get(code, _l("Error"))
    html = render_template(template, code=code, title=title, message=message)
    return html, code, headers or {}


def handle_http(exc: HTTPException) -> tuple:
    return render_error(exc.code or 500, None, dict(exc.get_headers()) if exc.code == 405 else None)


def handle_csrf(exc: CSRFError) -> tuple:
    log.info("csrf: %s %s refused: %s", request.method, request.path, exc.description)
    return render_error(
        400, _("This form has expired or was not sent from our site. Please go back and try again.")
    )


def handle_rate_limit(exc: RateLimitExceeded) -> tuple:
    """A per-IP limit (Flask-Limiter): 429 with Retry-After, even if its headers are off."""
    current = limiter.current_limit
    return _too_many_from_network(max(int(current.reset_at - time.time()) if current else 60, 1))


def _too_many_from_network(wait: int) -> tuple:
    audit.record("otp_rate_limited")
    message = _(
        "Too many requests from your network. Please wait %(wait)s and try again.",
        wait=wait_in_words(wait),
    )
    return render_error(429, message, {"Retry-After": str(wait)})


def handle_unavailable(exc: Exception) -> tuple:
    """Redis or the database is down: say so, log it, let nobody in."""
    # Every page loads the user for its header; with the database or Redis (sessions) down
    # that would fail again inside this handler, so the error page sees an anonymous visitor.
    anonymous_for_this_request()
    if isinstance(exc, DBAPIError | OperationalError):
        db.session.rollback()
        part = "database"
    else:
        part = "redis"
        metrics.count_redis_error("web")
    log.error(
        "unavailable: %s failed during %s %s: %s",
        part,
        request.method,
        request.path,
        type(exc).__name__,
    )
    # "Nobody has been signed in" answers a sign-in; a customer already signed in (the
    # cookie names a session) reads that their pages are down, not a false alarm.
    message = str(SIGNED_IN_UNAVAILABLE) if session.get("_user_id") else None
    return render_error(503, message, {"Retry-After": "30"})


def handle_unexpected(exc: Exception) -> tuple:
    original = getattr(exc, "original_exception", exc)
    if isinstance(original, redis.RedisError | StorageError | DBAPIError):
        return handle_unavailable(original)
    log.error(
        "unexpected error during %s %s: %s",
        request.method,
        request.path,
        scrubbed_traceback(original),
    )
    return render_error(500)


def init_app(app: Flask) -> None:
    """Register the handlers."""
    # Flask logs every unhandled exception with its message before our handler runs; the
    # message may hold a contact, so handle_unexpected logs a scrubbed version instead.
    app.log_exception = lambda exc_info: None  # type: ignore[method-assign]
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(RateLimitExceeded, handle_rate_limit)
    app.register_error_handler(redis.RedisError, handle_unavailable)
    app.register_error_handler(StorageError, handle_unavailable)
    app.register_error_handler(DBAPIError, handle_unavailable)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(ServiceUnavailable, handle_http)
