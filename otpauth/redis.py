"""The Redis client: the server named by ``REDIS_URL``, or an embedded fakeredis server.

The embedded server lives in this process, so it serves one process only (the
development server, the tests); production refuses to start without ``REDIS_URL``.
"""

from __future__ import annotations

import logging

import redis
from flask import Flask, current_app

from .extensions import limiter

log = logging.getLogger(__name__)
EXTENSION_KEY = "otpauth.redis"

# A login page should fail fast with a 503 rather than hang when Redis is unreachable.
SOCKET_TIMEOUT_SECONDS = 2.0


def connect(url: str | None) -> redis.Redis:
    """Return a client for ``url``, or for a new embedded server when ``url`` is empty."""
    if not url:
        import fakeredis  # only needed for the embedded set-up

        return fakeredis.FakeRedis(server=fakeredis.FakeServer())
    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        health_check_interval=30,
    )


def init_app(app: Flask, client: redis.Redis | None = None) -> None:
    """Bind a Redis client to ``app`` and point Flask-Limiter at the same server."""
    url = app.config.get("REDIS_URL")
    if client is None:
        if not url:
            log.warning(
                "REDIS_URL is not set: using an embedded in-process Redis. "
                "It serves this one process only; set REDIS_URL for anything else."
            )
        client = connect(url)
    app.extensions[EXTENSION_KEY] = client
    init_limiter(app, client)


def init_limiter(app: Flask, client: redis.Redis) -> None:
    """Keep per-IP counters in the app's Redis, never in process memory."""
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        url = app.config.get("REDIS_URL")
        if url:
            app.config["RATELIMIT_STORAGE_URI"] = url
        else:
            # limits' Redis storage on the embedded server's connection pool.
            app.config["RATELIMIT_STORAGE_URI"] = "redis://embedded"
            app.config["RATELIMIT_STORAGE_OPTIONS"] = {"connection_pool": client.connection_pool}
    limiter.init_app(app)


def get_redis() -> redis.Redis:
    """The current app's Redis client."""
    return current_app.extensions[EXTENSION_KEY]
