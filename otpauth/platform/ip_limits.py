"""Per-IP limits of the sign-in forms, on Flask-Limiter's public API only.

A limit is a ``RATELIMIT_*`` setting (``10 per minute; 60 per hour``) put on a view's POSTs
with ``limiter.limit`` (``per_ip``); Flask-Limiter counts each window in the app's Redis,
keyed by the client's network (``client_ip.client_network``, the limiter's ``key_func``).

One documented ``request_filter`` saves work: while ops set no app-wide limit, no limit of
this app counts a GET, so Flask-Limiter need not look at one (its before-request pass on
every page: ~2 % of a login's CPU, docs/BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, request

from .extensions import limiter

# Flask-Limiter settings that put limits on every request, GETs included.
APP_WIDE_LIMITS = (
    "RATELIMIT_DEFAULT",
    "RATELIMIT_APPLICATION",
    "RATELIMIT_META",
    "RATELIMIT_IN_MEMORY_FALLBACK",
)
APP_WIDE = "otpauth.app_wide_limits"  # app.extensions: whether one of them is set
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READS_COUNTED: set[str] = set()  # view functions whose limit counts GETs too (``every_request``)


def init_app(app: Flask) -> None:
    """Decide once per app whether an app-wide limit is set (after Flask-Limiter's init)."""
    app.extensions[APP_WIDE] = any(app.config.get(k) for k in APP_WIDE_LIMITS)


@limiter.request_filter
def unlimited_read() -> bool:
    """A GET (HEAD, OPTIONS) while no app-wide limit is set: no limit here counts it."""
    if request.method not in SAFE_METHODS or current_app.extensions.get(APP_WIDE, True):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return _name(view) not in READS_COUNTED


def _name(view: Callable | None) -> str:
    """A view function's dotted name (kept by ``functools.wraps`` through decorators)."""
    return f"{getattr(view, '__module__', '')}.{getattr(view, '__qualname__', '')}"


def every_request(name: str) -> Callable[[Callable], Callable]:
    """The per-IP limit ``name`` on every request of a view, GETs included (the OAuth
    authorization endpoint is a GET: its limit must count one)."""
    limit = limiter.limit(lambda: current_app.config[name], override_defaults=False)

    def decorate(view: Callable) -> Callable:
        READS_COUNTED.add(_name(view))
        return limit(view)

    return decorate


def per_ip(name: str) -> Callable[[Callable], Callable]:
    """The per-IP limit ``name`` (a ``RATELIMIT_*`` setting) on a view's POSTs.

    A GET of the same page goes straight to the view: the limit is for POSTs only.
    override_defaults=False: a RATELIMIT_DEFAULT set by ops applies here too, GETs
    included: Flask-Limiter checks the defaults of a decorated view in its decorator, so
    with a default set every request goes through it (application limits are checked
    before any view).
    """
    limit = limiter.limit(
        lambda: current_app.config[name], methods=["POST"], override_defaults=False
    )

    def decorate(view: Callable) -> Callable:
        limited = limit(view)

        @wraps(view)
        def dispatch(*args: Any, **kwargs: Any) -> Any:
            if request.method == "POST" or current_app.config.get("RATELIMIT_DEFAULT"):
                return limited(*args, **kwargs)
            return view(*args, **kwargs)

        return dispatch

    return decorate
