"""Warn when the app trusts X-Forwarded-For but gunicorn listens where clients can reach it.

With ``TRUSTED_PROXIES`` > 0 the client address is taken from ``X-Forwarded-For``. That is
only true when every request comes through the proxy: a client talking to gunicorn
directly writes that header itself and picks the address its per-IP limits count.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable

LOCAL_NAMES = {"localhost", "ip6-localhost", "ip6-loopback"}


def is_local_bind(bind: str) -> bool:
    """True for a Unix socket or a loopback address; False for anything clients may reach."""
    if bind.startswith(("unix:", "fd://")):
        return True
    host = bind.rsplit(":", 1)[0] if bind.count(":") == 1 or bind.startswith("[") else bind
    host = host.strip("[]").strip()
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # 0.0.0.0 parses; a host name or '' (all interfaces) does not: public


def exposed_binds(binds: Iterable[str], trusted_proxies: int) -> list[str]:
    """The binds that let clients bypass the proxy (none when no proxy is trusted)."""
    if trusted_proxies <= 0:
        return []
    return [bind for bind in binds if not is_local_bind(bind)]


def warn_if_exposed(binds: Iterable[str], trusted_proxies: int, log: logging.Logger) -> bool:
    """Log one warning naming the exposed binds; True when there were any."""
    exposed = exposed_binds(binds, trusted_proxies)
    if exposed:
        log.warning(
            "TRUSTED_PROXIES=%d but gunicorn listens on %s: clients that reach it directly "
            "choose their own X-Forwarded-For and so the address per-IP limits count. "
            "Bind to 127.0.0.1 or a Unix socket behind the proxy (see deploy/nginx.conf).",
            trusted_proxies,
            ", ".join(exposed),
        )
    return bool(exposed)
