"""A throw-away redis-server on a free loopback port, that a test may stop and start again.

For the outage tests: ``stop(save=True)`` keeps the data for the next ``start`` (a Redis
restart), ``stop(save=False)`` loses it (a Redis that comes back empty).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time

import pytest
import redis

from tests.redis_cluster import require_redis_server
from tests.smtp_server import free_port

START_TIMEOUT_SECONDS = 15


class RedisServer:
    """One redis-server process in a temporary directory (its dump file lives there)."""

    def __init__(self) -> None:
        require_redis_server()
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="otpauth-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", self.directory],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)  # waiting for the server to listen, not a timed assertion
        pytest.fail("redis-server did not start in time")

    def stop(self, *, save: bool) -> None:
        """SHUTDOWN SAVE (the data comes back with the next start) or NOSAVE (lost)."""
        if self.process is None:
            return
        try:
            redis.Redis(port=self.port).shutdown(save=save, nosave=not save)
        except redis.ConnectionError:
            pass  # it answers nothing as it goes
        self.process.wait(timeout=30)
        self.process = None

    def close(self) -> None:
        self.stop(save=False)
        shutil.rmtree(self.directory, ignore_errors=True)
