"""Response headers that keep the pages in their lane, the reverse-proxy fix, and 413s that
close their connection."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from . import origin_check as origin

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


BASE_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)
# Production is served over HTTPS only: browsers are told to remember that.
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
# Pages with codes, contacts or account data must not linger in caches.
NO_STORE = ("Cache-Control", "no-store")


def add_headers(response: Response) -> Response:
    """Set CSP (no inline scripts), no sniffing, no framing, a strict referrer policy (and
    HSTS in production), each unless the view set its own.

    One pass over the headers the response has, rather than a look-up per header (a
    look-up that misses raises and catches an exception inside Werkzeug).
    """
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    wanted = list(BASE_HEADERS)
    if current_app.config["ENV_NAME"] == "production":
        wanted.append(HSTS)
    if request.endpoint and not request.endpoint.endswith("static"):
        wanted.append(NO_STORE)
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    return response


class CloseAfter413:
    """WSGI middleware: a 413 answers ``Connection: close`` and the server then closes.

    The body was refused unread, so the connection cannot carry another request: left open,
    the server would read the rest of the body, or parse it as the next request. gunicorn
    drops hop-by-hop headers an app sets, so it is also told through its response object.
    """

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        def start(status: str, headers: list, exc_info: Any = None) -> Any:
            if status.startswith("413"):
                headers = [(k, v) for k, v in headers if k.lower() != "connection"]
                headers.append(("Connection", "close"))
                server_response = getattr(start_response, "__self__", None)
                force_close = getattr(server_response, "force_close", None)
                if callable(force_close):  # gunicorn's Response
                    force_close()
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def init_app(app: Flask) -> None:
    """Register the header hooks; trust X-Forwarded-* only from TRUSTED_PROXIES hops."""
    origin.init_app(app)
    app.wsgi_app = CloseAfter413(app.wsgi_app)  # type: ignore[method-assign]
    app.after_request(add_headers)
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
