"""What the app says of its delivery worker, sampled while the worker-kill scenario runs.

``/healthz`` (``"workers"``, ``"status": "degraded"``) and ``/metrics``
(``otpauth_queue_workers``) must show "no worker" within 30 s of a SIGKILL (issue 20):
``NoWorkerWatch`` polls both and answers how many seconds each took.
"""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass

METRICS_TOKEN = "bench-metrics-token"  # the bench's app gets it (production wants one)
POLL_SECONDS = 0.25
NEVER = -1.0


def fetch(port: int, path: str, token: str | None = None) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (127.0.0.1)
        return response.read().decode()


def health_workers(port: int) -> int | None:
    """``workers`` of /healthz when it says "degraded" or "ok"; None if it cannot tell."""
    try:
        report = json.loads(fetch(port, "/healthz"))
    except (OSError, ValueError):
        return None
    workers = report.get("workers")
    if workers == 0 and report.get("status") != "degraded":
        return None  # "no worker" must be said, not only counted
    return workers if isinstance(workers, int) else None


def metric_workers(port: int) -> float | None:
    """The value of ``otpauth_queue_workers`` in /metrics; None if it cannot tell."""
    try:
        text = fetch(port, "/metrics", METRICS_TOKEN)
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("otpauth_queue_workers "):
            return float(line.split()[1])
    return None


@dataclass
class NoWorkerWatch:
    """Seconds from the kill until /healthz and /metrics each showed no live worker."""

    port: int
    health_seconds: float = NEVER
    metric_seconds: float = NEVER

    def wait(self, killed_at: float, limit: float) -> None:
        """Poll both until each has shown 0 workers, or ``limit`` s after the kill."""
        while time.monotonic() - killed_at < limit:
            if self.health_seconds == NEVER and health_workers(self.port) == 0:
                self.health_seconds = round(time.monotonic() - killed_at, 1)
            if self.metric_seconds == NEVER and metric_workers(self.port) == 0:
                self.metric_seconds = round(time.monotonic() - killed_at, 1)
            if NEVER not in (self.health_seconds, self.metric_seconds):
                return
            time.sleep(POLL_SECONDS)
