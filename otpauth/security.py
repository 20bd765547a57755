"""Response headers that keep the pages in their lane, and the reverse-proxy fix."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def add_headers(response: Response) -> Response:
    """Set CSP (no inline scripts), no sniffing, no framing, a strict referrer policy."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint and not request.endpoint.endswith("static"):
        # Pages with codes, contacts or account data must not linger in caches.
        headers.setdefault("Cache-Control", "no-store")
    return response


def add_hsts(response: Response) -> Response:
    """Production is served over HTTPS only: tell browsers to remember that."""
    response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    """Register the header hooks; trust X-Forwarded-* only from TRUSTED_PROXIES hops."""
    app.after_request(add_headers)
    if app.config["ENV_NAME"] == "production":
        app.after_request(add_hsts)
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
