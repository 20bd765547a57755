"""The client a per-IP limit counts: a network, not the spelling of an address.

``2001:DB8::1``, ``2001:db8:0:0:0:0:0:1`` and ``[2001:db8::1]`` are one address, every
address of an IPv6 /64 is usually one customer's line, and ``::ffff:10.0.0.1`` is the IPv4
address ``10.0.0.1``. Anything that does not parse (``010.0.0.1``, ``[::1``, an empty
value) shares one bucket, so odd spellings cannot each open a fresh allowance.
"""

from __future__ import annotations

import ipaddress

from flask import current_app, request

MALFORMED = "malformed"  # the one bucket every unparsable address shares


def network_of(raw: str | None, ipv6_prefix: int = 64) -> str:
    """The bucket name for the address ``raw``: an IPv4 address or an IPv6 network."""
    text = (raw or "").strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    text = text.partition("%")[0]  # a zone id (fe80::1%eth0) names an interface, not a host
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return MALFORMED
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, ipv6_prefix), strict=False))
    return str(address)


def client_network() -> str:
    """Flask-Limiter's key: the requesting client's network (after ProxyFix)."""
    return network_of(request.remote_addr, current_app.config["RATELIMIT_IPV6_PREFIX"])
