"""CSRF, second line: an ``Origin`` must be ours, and a malformed Referer or Origin is refused.

Flask-WTF checks the token (and, over HTTPS, that the Referer is ours). It ignores
``Origin``, and a Referer such as ``https://127.0.0.1:8000.evil.test/`` or ``[::1`` made
its parser raise (a 500). This check runs first, on the same requests Flask-WTF guards,
and answers both with its 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, request
from flask_wtf.csrf import CSRFError

from ..platform.extensions import csrf

DEFAULT_PORTS = {"http": 80, "https": 443}
EXEMPT_VIEWS: set[str] = set()  # module.name of the views ``exempt`` was given
EXEMPT_BLUEPRINTS: set[str] = set()
T = TypeVar("T")


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an absolute http(s) URL, or None when it does not parse."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:  # a bad port or an unclosed IPv6 bracket
        return None
    if parts.scheme not in DEFAULT_PORTS or not host:
        return None
    return parts.scheme, host, port or DEFAULT_PORTS[parts.scheme]


def _guarded() -> bool:
    """Whether Flask-WTF checks this request (same rules: method, enabled, not exempt)."""
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True) or not config.get("WTF_CSRF_CHECK_DEFAULT", True):
        return False
    if request.method not in config.get("WTF_CSRF_METHODS", {"POST", "PUT", "PATCH", "DELETE"}):
        return False
    # The views exempted from Flask-WTF through ``exempt`` (e.g. a signed webhook, the
    # OAuth token endpoint), by the same rule, so both checks agree.
    if request.blueprint in EXEMPT_BLUEPRINTS:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return view is None or _location(view) not in EXEMPT_VIEWS


def _location(view: Callable) -> str:
    return f"{view.__module__}.{view.__name__}"


def exempt(target: T) -> T:
    """``csrf.exempt`` (a view function or a blueprint) that this check honours too: Flask-WTF
    offers no public way to ask whether a request is exempt."""
    if isinstance(target, Blueprint):
        EXEMPT_BLUEPRINTS.add(target.name)
    else:
        EXEMPT_VIEWS.add(_location(target))
    return csrf.exempt(target)


def check_origin() -> None:
    """Refuse a state change whose Origin is another site's, or whose headers do not parse."""
    if not _guarded():
        return
    origin, referer = request.headers.get("Origin"), request.headers.get("Referer")
    sender = origin_of(origin) if origin is not None else None
    if origin is not None and (sender is None or sender != origin_of(request.host_url)):
        raise CSRFError("The request came from another site.")
    if referer is not None and origin_of(referer) is None:
        raise CSRFError("The referrer is malformed.")


def init_app(app: Flask) -> None:
    """Run before Flask-WTF's own check, whose Referer parsing must never see a bad value."""
    app.before_request_funcs.setdefault(None, []).insert(0, check_origin)
