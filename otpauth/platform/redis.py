"""The Redis clients: the app's (``REDIS_URL``) and the job queue's (``QUEUE_REDIS_URL``).

``REDIS_URL`` may name one server, a Redis Cluster (``redis+cluster://``) or a
Sentinel-managed master (``redis+sentinel://``); see ``redis_urls``. Unset, an embedded
fakeredis server is used: it lives in this process, so it serves one process only (the
development server, the tests); production refuses to start without ``REDIS_URL``.
"""

from __future__ import annotations

import logging
from typing import Any

import fakeredis
import redis
from flask import Flask, current_app
from redis.cluster import ClusterNode, RedisCluster
from redis.sentinel import Sentinel

from config import ConfigError

from . import ip_limits
from .extensions import limiter
from .redis_urls import RedisTarget, parse

log = logging.getLogger(__name__)
EXTENSION_KEY = "otpauth.redis"
QUEUE_KEY = "otpauth.queue_redis"

# A login page should fail fast with a 503 rather than hang when Redis is unreachable.
SOCKET_TIMEOUT_SECONDS = 2.0

Client = redis.Redis | RedisCluster


def connect(
    url: str | None, name: str = "REDIS_URL", *, socket_timeout: float | None = None
) -> Client:
    """A client for setting ``name``'s ``url``, or for a new embedded server when it is empty.

    ``socket_timeout`` defaults to the pages' short one; the queue worker passes its own.
    """
    if not url:
        return fakeredis.FakeRedis(server=fakeredis.FakeServer())
    timeout = SOCKET_TIMEOUT_SECONDS if socket_timeout is None else socket_timeout
    return client_for(name, parse(name, url), timeout)


def _timeouts(socket_timeout: float) -> dict[str, float]:
    return {"socket_timeout": socket_timeout, "socket_connect_timeout": SOCKET_TIMEOUT_SECONDS}


def _auth(target: RedisTarget) -> dict[str, str]:
    pairs = {"username": target.username, "password": target.password}
    return {key: value for key, value in pairs.items() if value}


def client_for(name: str, target: RedisTarget, socket_timeout: float) -> Client:
    """The redis-py client for ``target`` (a cluster is asked for its slot map now)."""
    if target.kind == "plain":
        return redis.Redis.from_url(
            target.url, health_check_interval=30, **_timeouts(socket_timeout)
        )
    if target.kind == "cluster":
        nodes = [ClusterNode(host, port) for host, port in target.nodes]
        try:
            return RedisCluster(startup_nodes=nodes, **_auth(target), **_timeouts(socket_timeout))
        except (redis.RedisError, redis.exceptions.RedisClusterException) as exc:
            # redis-py reads the slot map when the client is built: no answer, no start.
            raise ConfigError(
                f"{name}: no node of the Redis Cluster answered ({type(exc).__name__})"
            ) from None
    sentinel = Sentinel(
        list(target.nodes),
        sentinel_kwargs={**_auth(target), **_timeouts(SOCKET_TIMEOUT_SECONDS)},
        **_auth(target),
        **_timeouts(socket_timeout),
    )
    return sentinel.master_for(target.service, db=target.db, health_check_interval=30)


def init_app(app: Flask, client: Client | None = None) -> None:
    """Bind the app's and the queue's clients to ``app``; point Flask-Limiter at Redis."""
    url = app.config.get("REDIS_URL")
    target = parse("REDIS_URL", url) if url else None
    if client is None:
        if not url:
            log.warning(
                "REDIS_URL is not set: using an embedded in-process Redis. "
                "It serves this one process only; set REDIS_URL for anything else."
            )
        client = connect(url)
    app.extensions[EXTENSION_KEY] = client
    app.extensions[QUEUE_KEY] = _queue_client(app, client)
    init_limiter(app, client, target)


def _queue_client(app: Flask, client: Client) -> Client:
    """The queue's client: the app's own unless QUEUE_REDIS_URL names another server."""
    url = app.config.get("QUEUE_REDIS_URL")
    queue_target = parse("QUEUE_REDIS_URL", url) if url else None
    if queue_target and queue_target.kind == "cluster" and app.config["DELIVERY_MODE"] == "queue":
        raise ConfigError(
            "QUEUE_REDIS_URL (default REDIS_URL) is a Redis Cluster, where the job queue "
            "(RQ) cannot run: point it at a plain or Sentinel Redis"
        )
    if not url or url == app.config.get("REDIS_URL"):
        return client
    return connect(url, "QUEUE_REDIS_URL")


def init_limiter(app: Flask, client: Client, target: RedisTarget | None) -> None:
    """Keep per-IP counters in the app's Redis, never in process memory."""
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        uri, options = limiter_storage(client, target)
        app.config["RATELIMIT_STORAGE_URI"] = uri
        app.config["RATELIMIT_STORAGE_OPTIONS"] = options
    limiter.init_app(app)
    ip_limits.init_app(app)


def limiter_storage(client: Client, target: RedisTarget | None) -> tuple[str, dict[str, Any]]:
    """Flask-Limiter's storage URI and options for the app's Redis."""
    if target is None or target.kind == "plain":
        # limits' Redis storage on the app's own connection pool: no second pool.
        return "redis://", {"connection_pool": client.connection_pool}
    nodes = ",".join(f"{host}:{port}" for host, port in target.nodes)
    # Credentials go as options, not in the URI, so no escaping can mangle them.
    options: dict[str, Any] = {**_auth(target), **_timeouts(SOCKET_TIMEOUT_SECONDS)}
    if target.kind == "cluster":
        return f"redis+cluster://{nodes}", options
    sentinel_options = {**_auth(target), **_timeouts(SOCKET_TIMEOUT_SECONDS)}
    # Counters are read from the master too: a lagging replica would undercount.
    options.update(db=target.db, use_replicas=False, sentinel_kwargs=sentinel_options)
    return f"redis+sentinel://{nodes}/{target.service}", options


def get_redis() -> Client:
    """The current app's Redis client."""
    return current_app.extensions[EXTENSION_KEY]


def queue_redis() -> Client:
    """The job queue's Redis client (QUEUE_REDIS_URL; by default the app's own)."""
    return current_app.extensions[QUEUE_KEY]
