"""Prometheus counters and histograms every process writes (``GET /metrics`` adds them up).

prometheus-client's multiprocess mode: every process writes its counters and histograms to
files in the directory named by ``PROMETHEUS_MULTIPROC_DIR`` (the library's own variable,
read when it is imported). ``config`` sets it when unset (development, tests): one
directory per process group, so gunicorn's workers and their master share one.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EVENTS = Counter("otpauth_events", "Audit events, by event and channel", ["event", "channel"])
DELIVERY_SECONDS = Histogram(
    "otpauth_delivery_seconds",
    "Time the provider took to accept (or refuse) one message",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
)
MESSAGES = Counter(
    "otpauth_messages",
    "Messages by channel and what became of them (sent, delivered, undelivered, failed, fallback)",
    ["channel", "status"],
)
SEGMENTS = Counter(
    "otpauth_message_segments", "Billed units of sent messages (SMS segments)", ["channel"]
)
REDIS_ERRORS = Counter("otpauth_redis_errors", "Redis errors (each a 503 or a lost job)", ["where"])


def count_event(event: str, channel: str | None) -> None:
    """Count one audit event (called by ``audit.record``)."""
    EVENTS.labels(event, channel or "none").inc()


def count_message(channel: str, status: str, units: int = 0) -> None:
    """Count one message's fate (and, when sent, the segments it is billed as)."""
    MESSAGES.labels(channel, status).inc()
    if units:
        SEGMENTS.labels(channel).inc(units)


def observe_delivery(channel: str, seconds: float) -> None:
    """Time one try at the provider."""
    DELIVERY_SECONDS.labels(channel).observe(seconds)


def count_redis_error(where: str) -> None:
    """Count one Redis failure (``where``: web, worker, metrics)."""
    REDIS_ERRORS.labels(where).inc()
