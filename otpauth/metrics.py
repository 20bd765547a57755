"""``GET /metrics``: Prometheus text, all gunicorn workers and the queue worker together.

prometheus-client's multiprocess mode: every process writes its counters and histograms to
files in the directory named by ``PROMETHEUS_MULTIPROC_DIR`` (the library's own variable,
read when it is imported; set it for every process of one deployment, to an empty
directory at start), and ``/metrics`` adds them up. Without it (development, tests) one
directory per process group is used, so gunicorn's workers and their master share one.
The gauges are read from Redis when scraped, so every instance reports the same values.
"""

from __future__ import annotations

import hmac
import logging
import os
import tempfile

DEFAULTED_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if DEFAULTED_DIR:
    _default = os.path.join(tempfile.gettempdir(), f"otpauth-metrics-{os.getuid()}-{os.getpgrp()}")
    os.makedirs(_default, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _default

import redis  # noqa: E402 - after the directory is chosen
from flask import Blueprint, Flask, Response, abort, current_app, request  # noqa: E402
from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily  # noqa: E402

bp = Blueprint("metrics", __name__)
EVENTS = Counter("otpauth_events", "Audit events, by event and channel", ["event", "channel"])
DELIVERY_SECONDS = Histogram(
    "otpauth_delivery_seconds",
    "Time the provider took to accept (or refuse) one message",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
)
REDIS_ERRORS = Counter("otpauth_redis_errors", "Redis errors (each a 503 or a lost job)", ["where"])


def count_event(event: str, channel: str | None) -> None:
    """Count one audit event (called by ``audit.record``)."""
    EVENTS.labels(event, channel or "none").inc()


def observe_delivery(channel: str, seconds: float) -> None:
    """Time one try at the provider."""
    DELIVERY_SECONDS.labels(channel).observe(seconds)


def count_redis_error(where: str) -> None:
    """Count one Redis failure (``where``: web, worker, metrics)."""
    REDIS_ERRORS.labels(where).inc()


class LiveState:
    """Gauges read from Redis at scrape time: queue, workers, SMS budget, breakers."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> list[GaugeMetricFamily]:
        return self.families


def live_families() -> list[GaugeMetricFamily]:
    """The gauges' values now; none if Redis does not answer (counted)."""
    from .delivery import delivery, gates

    c = current_app.config
    gauge = GaugeMetricFamily
    try:
        if c["DELIVERY_MODE"] == "queue":
            from .delivery.queue import queue_stats

            depth, workers = queue_stats()  # workers that beat in the last 15 s
        else:  # the send threads of this web process: they live and die with it
            pool = delivery().pool
            depth, workers = (pool.pending, pool.workers) if pool else (0, 0)
        sent = gates().sms_this_hour()
        breakers = gates().breakers_open()
    except redis.RedisError:
        count_redis_error("metrics")
        return []
    breaker = gauge(
        "otpauth_breaker_open", "1 while the channel is marked unavailable", labels=["channel"]
    )
    for channel, is_open in breakers.items():
        breaker.add_metric([channel], int(is_open))
    return [
        gauge("otpauth_queue_depth", "Codes waiting to be sent", value=depth),
        gauge(
            "otpauth_queue_workers",
            "Live delivery workers (queue: heartbeat within 15 s; inline: send threads)",
            value=workers,
        ),
        gauge("otpauth_sms_sent_this_hour", "SMS counted this clock hour", value=sent),
        gauge("otpauth_sms_max_per_hour", "SMS_MAX_PER_HOUR", value=c["SMS_MAX_PER_HOUR"]),
        breaker,
    ]


def _authorized() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        if current_app.config.get("ENV_NAME") == "production":
            abort(404)  # no token, no metrics in production: nothing to guess at
        return True
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@bp.route("/metrics")
def metrics() -> Response:
    """Prometheus text format; needs ``Authorization: Bearer METRICS_TOKEN`` when set."""
    if not _authorized():
        return Response("unauthorized\n", 401, {"WWW-Authenticate": "Bearer"})
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(LiveState(live_families()))
    return Response(generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST})


def init_app(app: Flask) -> None:
    """Register ``/metrics`` (exempt from the per-IP limits: Prometheus scrapes often)."""
    from .extensions import limiter

    if DEFAULTED_DIR and app.config.get("ENV_NAME") == "production":
        logging.getLogger(__name__).warning(
            "metrics: PROMETHEUS_MULTIPROC_DIR is not set; using %s, which processes started "
            "apart (the delivery worker) do not share",
            os.environ["PROMETHEUS_MULTIPROC_DIR"],
        )
    limiter.exempt(bp)
    app.register_blueprint(bp)
