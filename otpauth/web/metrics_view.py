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

import redis
from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

import config

from ..delivery import delivery, gates
from ..delivery.queue import queue_stats
from ..platform.extensions import limiter
from ..platform.metrics import count_redis_error

bp = Blueprint("metrics", __name__)


class LiveState:
    """Gauges read from Redis at scrape time: queue, workers, SMS budget, breakers."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> list[GaugeMetricFamily]:
        return self.families


def live_families() -> list[GaugeMetricFamily]:
    """The gauges' values now; none if Redis does not answer (counted)."""
    c = current_app.config
    gauge = GaugeMetricFamily
    try:
        if c["DELIVERY_MODE"] == "queue":
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
    if config.METRICS_DIR_DEFAULTED and app.config.get("ENV_NAME") == "production":
        logging.getLogger(__name__).warning(
            "metrics: PROMETHEUS_MULTIPROC_DIR is not set; using %s, which processes started "
            "apart (the delivery worker) do not share",
            config.METRICS_DIR,
        )
    limiter.exempt(bp)
    app.register_blueprint(bp)
