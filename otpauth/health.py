"""``GET /healthz``: is the database and is Redis answering?"""

from __future__ import annotations

import logging

import redis
from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from .extensions import db, limiter
from .redis import get_redis

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.route("/healthz")
@limiter.exempt
def healthz() -> tuple[Response, int]:
    """200 with every part "ok", or 503 naming the part that is down."""
    report = {"status": "ok", "database": "ok", "redis": "ok"}
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
        log.error("healthz: redis unavailable: %s", type(exc).__name__)
    healthy = report["database"] == "ok" and report["redis"] == "ok"
    if not healthy:
        report["status"] = "unavailable"
    return jsonify(report), 200 if healthy else 503
