"""A throw-away three-master Redis Cluster on loopback ports, for the scale-out tests.

Started with ``redis-server --cluster-enabled yes`` (three processes, no persistence, in a
temporary directory) and ``redis-cli --cluster create``; stopped with ``shutdown nosave``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass

import pytest

# The ports this project's tests may use for cluster nodes (each also needs port + 10000).
PORT_SETS = ((7101, 7102, 7103), (7104, 7105, 7106))
START_TIMEOUT_SECONDS = 30


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
        for port in self.ports:
            self.cli(port, "shutdown", "nosave")
        shutil.rmtree(self.directory, ignore_errors=True)


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _ports() -> tuple[int, ...]:
    for ports in PORT_SETS:
        if all(_free(p) and _free(p + 10000) for p in ports):
            return ports
    pytest.fail(f"no free set of Redis Cluster ports among {PORT_SETS}")


def require_redis_server() -> None:
    """Skip without redis-server on a newcomer's machine; in CI its absence fails."""
    if shutil.which("redis-server") and shutil.which("redis-cli"):
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("CI needs redis-server and redis-cli for the Redis Cluster tests")
    pytest.skip("redis-server is not installed: Redis Cluster tests skipped")


def start_cluster() -> Cluster:
    """Start three masters, join them into one cluster, wait until it serves every slot."""
    require_redis_server()
    cluster = Cluster(_ports(), tempfile.mkdtemp(prefix="otpauth-cluster-"))
    try:
        for port in cluster.ports:
            _start_node(cluster.directory, port)
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


def _start_node(directory: str, port: int) -> None:
    subprocess.run(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
        + ["--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf"]
        + ["--save", "", "--appendonly", "no", "--daemonize", "yes", "--dir", directory]
        + ["--logfile", os.path.join(directory, f"{port}.log")],
        check=True,
        capture_output=True,
        timeout=30,
    )


def _wait_ok(cluster: Cluster) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        states = [cluster.cli(p, "cluster", "info") for p in cluster.ports]
        if all("cluster_state:ok" in state for state in states):
            return
        time.sleep(0.2)  # polling the cluster's own convergence, not a timed assertion
    pytest.fail("the Redis Cluster did not reach cluster_state:ok in time")
