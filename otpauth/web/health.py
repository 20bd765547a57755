"""``GET /healthz``: is the database and is Redis answering? (Queue mode: the queue too.)

200 ``"status": "ok"``; 200 ``"degraded"`` in queue mode when no delivery worker lives
(the ``problem`` named); 503 ``"unavailable"`` naming the part that is down.
"""

from __future__ import annotations

import logging

import redis
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from ..delivery.queue import queue_stats
from ..platform import metrics
from ..platform.extensions import db, limiter
from ..platform.redis import get_redis

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.route("/healthz")
@limiter.exempt
def healthz() -> tuple[Response, int]:
    """200 with every part "ok", or 503 naming the part that is down."""
    report: dict[str, str | int] = {"status": "ok", "database": "ok", "redis": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        report["database"] = "unavailable"
        log.error("healthz: database unavailable: %s", type(exc).__name__)
    try:
        get_redis().ping()
    except redis.RedisError as exc:
        report["redis"] = "unavailable"
        metrics.count_redis_error("web")
        log.error("healthz: redis unavailable: %s", type(exc).__name__)
    if current_app.config["DELIVERY_MODE"] == "queue" and report["redis"] == "ok":
        report.update(queue_report())
    healthy = report["database"] == "ok" and report["redis"] == "ok"
    if not healthy:
        report["status"] = "unavailable"
    return jsonify(report), 200 if healthy else 503


def queue_report() -> dict[str, str | int]:
    """Queue mode: jobs waiting and live workers (those that beat in the last
    ``LIVE_SECONDS``). No worker is ``"status": "degraded"`` with the problem named: codes
    are not sent, but the instance serves (still 200, so the load balancer keeps it)."""
    try:
        depth, workers = queue_stats()
    except redis.RedisError as exc:
        log.error("healthz: queue unavailable: %s", type(exc).__name__)
        return {"queue": "unavailable"}
    report: dict[str, str | int] = {"queue_depth": depth, "workers": workers}
    if workers == 0:
        report.update(status="degraded", problem="no delivery worker")
    return report
