"""A throw-away three-master Redis Cluster on loopback ports, for the scale-out tests.

Started with ``redis-server --cluster-enabled yes`` (three processes, no persistence, in a
temporary directory) and ``redis-cli --cluster create``; stopped with ``shutdown nosave``.
Its ports are free ones the OS hands out (each with its bus port, + 10000, free too); if
another process takes one before the node binds it, the cluster starts again elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ports import free_ports, redis_is_ours, stop_pidfiles

START_TIMEOUT_SECONDS = 30
START_ATTEMPTS = 3  # a port taken between the OS's answer and the node's bind: new ports


@dataclass
class Cluster:
    """A running cluster: its node ports and its temporary directory."""

    ports: tuple[int, ...]
    directory: str

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def cli(self, port: int, *args: str) -> str:
        result = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return result.stdout

    def stop(self) -> None:
        """Stop the nodes this cluster started (by their pid: a port may be another's)."""
        stop_pidfiles(Path(self.directory))
        shutil.rmtree(self.directory, ignore_errors=True)


def require_redis_server() -> None:
    """Skip without redis-server on a newcomer's machine; in CI its absence fails."""
    if shutil.which("redis-server") and shutil.which("redis-cli"):
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("CI needs redis-server and redis-cli for the Redis Cluster tests")
    pytest.skip("redis-server is not installed: Redis Cluster tests skipped")


def start_cluster() -> Cluster:
    """Start three masters on free ports, join them into one cluster, wait until it
    serves every slot."""
    require_redis_server()
    for _ in range(START_ATTEMPTS):
        cluster = Cluster(free_ports(3, bus=True), tempfile.mkdtemp(prefix="otpauth-cluster-"))
        if all(_start_node(cluster.directory, port) for port in cluster.ports):
            break
        cluster.stop()
    else:
        pytest.fail(f"no Redis Cluster node started in {START_ATTEMPTS} attempts")
    try:
        nodes = [f"127.0.0.1:{p}" for p in cluster.ports]
        subprocess.run(
            ["redis-cli", "--cluster", "create", *nodes, "--cluster-replicas", "0"]
            + ["--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        _wait_ok(cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _start_node(directory: str, port: int) -> bool:
    """Start one node; whether it is the one answering on ``port``."""
    pidfile = Path(directory, f"{port}.pid")
    subprocess.run(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
        + ["--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf"]
        + ["--save", "", "--appendonly", "no", "--daemonize", "yes", "--dir", directory]
        + ["--logfile", os.path.join(directory, f"{port}.log"), "--pidfile", str(pidfile)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return redis_is_ours(port, pidfile)


def _wait_ok(cluster: Cluster) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        states = [cluster.cli(p, "cluster", "info") for p in cluster.ports]
        if all("cluster_state:ok" in state for state in states):
            return
        time.sleep(0.2)  # polling the cluster's own convergence, not a timed assertion
    pytest.fail("the Redis Cluster did not reach cluster_state:ok in time")
