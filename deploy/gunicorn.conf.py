"""gunicorn settings for otpauth behind nginx: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Only nginx talks to gunicorn, over loopback: nginx buffers slow clients, so a few sync
workers are enough, and X-Forwarded-For (TRUSTED_PROXIES=1) can be believed.
"""

from __future__ import annotations

import logging

bind = ["127.0.0.1:8000"]  # loopback only: nginx is the one door (override with -b)
workers = 3
worker_class = "sync"
timeout = 30
graceful_timeout = 30
keepalive = 5
# Request line and headers well under nginx's own limits; bodies are capped by the app (413).
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
forwarded_allow_ips = "127.0.0.1,::1"
accesslog = "-"


def on_starting(server) -> None:  # noqa: ANN001 - gunicorn's Arbiter
    """Warn at start when X-Forwarded-For is trusted but gunicorn is reachable directly."""
    import config
    from otpauth.platform.proxy_bind_check import warn_if_exposed

    try:
        hops = config.load()["TRUSTED_PROXIES"]
    except config.ConfigError:
        return  # the app reports the bad setting itself when it loads
    warn_if_exposed(server.cfg.bind, hops, logging.getLogger("gunicorn.error"))
