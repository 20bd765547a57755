"""Ports for the servers the tests start: free ones the OS hands out, never fixed numbers.

Two runs of the suite side by side (or anything else listening on the machine) must not
meet: every server binds a port the OS has just found free, and a Redis started on one
is asked for its process id, so a server of another run that took the port meanwhile is
noticed (the caller starts again on new ports) instead of being used.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

CLUSTER_BUS_OFFSET = 10000  # a Redis Cluster node also listens on port + 10000


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_ports(count: int, *, bus: bool = False) -> tuple[int, ...]:
    """``count`` distinct free ports; with ``bus``, each one's cluster bus port free too."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port in ports:
            continue
        bus_port = port + CLUSTER_BUS_OFFSET
        if bus and (bus_port > 65535 or not _bindable(bus_port)):
            continue
        ports.append(port)
    return tuple(ports)


def listening_socket() -> socket.socket:
    """A socket bound and listening on a free port, to hand to a server (``fd://``)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def redis_is_ours(port: int, pidfile: Path, timeout: float = 15) -> bool:
    """Whether the redis-server that wrote ``pidfile`` answers on ``port`` (False: it
    did not start, or another process has the port)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pidfile.exists():
            info = subprocess.run(
                ["redis-cli", "-h", "127.0.0.1", "-p", str(port), "info", "server"],
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout
            pid = pidfile.read_text().strip()
            if pid and f"process_id:{pid}" in info.split():
                return True
        time.sleep(0.1)  # waiting for the server's start, not measuring anything
    return False


def stop_pidfiles(directory: Path) -> None:
    """SIGTERM the redis-servers whose pidfiles are in ``directory`` (no save: the tests'
    servers run with ``--save ""``), and wait until each has gone."""
    pids = [int(f.read_text()) for f in directory.glob("*.pid") if f.read_text().strip()]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    deadline = time.monotonic() + 15
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)  # waiting for the server to exit, not measuring anything
