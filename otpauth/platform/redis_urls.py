"""Redis URLs: a plain server, a Redis Cluster or a Sentinel-managed master, checked once.

``redis://…``, ``rediss://…`` and ``unix://…`` name one server (redis-py's own syntax);
``redis+cluster://[[user:]password@]host:port[,host:port…]`` names a cluster's start-up
nodes; ``redis+sentinel://[[user:]password@]host:port[,host:port…]/service_name[/db]``
names the sentinels and the service whose master holds the data. A malformed URL is a
``ConfigError`` naming the variable; the value is not echoed (it may hold a password).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

import redis

from config import ConfigError

PLAIN_SCHEMES = ("redis", "rediss", "unix")
CLUSTER_SCHEME = "redis+cluster"
SENTINEL_SCHEME = "redis+sentinel"
DEFAULT_PORTS = {CLUSTER_SCHEME: 6379, SENTINEL_SCHEME: 26379}

Kind = Literal["plain", "cluster", "sentinel"]


@dataclass(frozen=True)
class RedisTarget:
    """Where a Redis URL points: one server (``url``), cluster nodes, or a Sentinel service."""

    kind: Kind
    url: str = ""
    nodes: tuple[tuple[str, int], ...] = ()
    service: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = None


def parse(name: str, url: str) -> RedisTarget:
    """The target of setting ``name``'s ``url``; ``ConfigError`` (naming ``name``) if malformed."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    try:
        if scheme in PLAIN_SCHEMES:
            redis.connection.parse_url(url)  # the checks redis-py applies when it connects
            db = urlsplit(url).path.strip("/")
            if scheme != "unix" and db:
                _number(db, "database")  # redis-py would quietly use database 0
            return RedisTarget("plain", url=url)
        if scheme in (CLUSTER_SCHEME, SENTINEL_SCHEME):
            return _parse_multi(scheme, url)
    except ValueError as exc:
        raise ConfigError(f"{name} is not a valid Redis URL: {_reason(exc)}") from None
    raise ConfigError(
        f"{name} must start with redis://, rediss://, unix://, {CLUSTER_SCHEME}:// "
        f"or {SENTINEL_SCHEME}://"
    )


def _reason(exc: ValueError) -> str:
    # redis-py's own messages may quote the whole URL (and its password): keep ours only.
    text = str(exc)
    return "malformed" if "://" in text else text


def _parse_multi(scheme: str, url: str) -> RedisTarget:
    parts = urlsplit(url)
    auth, _, hosts = parts.netloc.rpartition("@")
    username, password = _auth(auth)
    nodes = tuple(_node(loc, DEFAULT_PORTS[scheme]) for loc in hosts.split(","))
    path = [unquote(p) for p in parts.path.split("/") if p]
    if scheme == CLUSTER_SCHEME:
        if path not in ([], ["0"]):
            raise ValueError("a Redis Cluster has database 0 only (no /db part)")
        return RedisTarget("cluster", nodes=nodes, username=username, password=password)
    if not path or len(path) > 2:
        raise ValueError("expected /service_name or /service_name/db after the sentinels")
    db = _number(path[1], "database") if len(path) == 2 else 0
    return RedisTarget(
        "sentinel", nodes=nodes, service=path[0], db=db, username=username, password=password
    )


def _auth(auth: str) -> tuple[str | None, str | None]:
    """``password`` or ``user:password`` before the ``@``."""
    if not auth:
        return None, None
    user, colon, password = auth.partition(":")
    if not colon:
        return None, unquote(auth)
    return unquote(user) or None, unquote(password) or None


def _node(location: str, default_port: int) -> tuple[str, int]:
    location = location.strip()
    if not location:
        raise ValueError("an empty host in the list of hosts")
    parsed = urlsplit(f"//{location}")
    port = parsed.port  # ValueError when not a number or out of range
    if not parsed.hostname or parsed.path or parsed.username:
        raise ValueError(f"{location!r} is not host:port")
    return parsed.hostname, port or default_port


def _number(raw: str, what: str) -> int:
    if not raw.isdigit():
        raise ValueError(f"the {what} {raw!r} is not a number")
    return int(raw)
