"""The processes bench/chaos.py runs and breaks: Redis, plain or Sentinel-managed (here), the
SMTP sink (bench/chaos_sink.py), gunicorn and the RQ worker (bench/chaos_app.py). Each
listens on 127.0.0.1 on a free port, runs in a process group of its own (so an orphan it
leaves, such as RQ's scheduler, is still ours to stop) and can be killed and started again
on the same port.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from bench import servers
from tests.smtp_server import free_port

ROOT = servers.ROOT


def passed_env() -> dict[str, str]:
    """The part of our environment the servers get (bench/servers.py's PASSED_ENV)."""
    return {k: os.environ[k] for k in servers.PASSED_ENV if k in os.environ}


def spawn(command: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    """Start ``command`` in a new session (its own process group), output to ``log``."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=None if env is None else {**passed_env(), **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def end_group(proc: subprocess.Popen | None, grace: float = 10) -> None:
    """Stop ``proc`` (SIGTERM, then SIGKILL), then whatever is left in its process group."""
    if proc is None:
        return
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # orphans of ours: the group is the one we made
    except ProcessLookupError:
        pass


def group_members(pgid: int) -> list[int]:
    """Live processes of process group ``pgid`` (from /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def wait_ping(port: int, seconds: float = 10) -> None:
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
    deadline = time.monotonic() + seconds
    while True:
        try:
            client.ping()
            return
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise SystemExit(f"chaos: redis-server on port {port} did not start") from None
            time.sleep(0.05)
        finally:
            client.close()


@dataclass
class RedisServer:
    """A redis-server without persistence: a restart loses its data."""

    directory: Path
    port: int = field(default_factory=free_port)
    extra: tuple[str, ...] = ()
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        command += ["--loglevel", "warning", *self.extra]
        self.proc = spawn(command, self.directory / f"redis-{self.port}.log")
        wait_ping(self.port)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        end_group(self.proc)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


SERVICE = "otpauth-chaos"


@dataclass
class SentinelGroup:
    """A master, one replica and one sentinel (quorum 1) that fails over in about 2 s."""

    directory: Path
    master: RedisServer = field(init=False)
    replica: RedisServer = field(init=False)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.master = RedisServer(self.directory)
        self.replica = RedisServer(
            self.directory, extra=("--replicaof", "127.0.0.1", str(self.master.port))
        )

    def start(self) -> None:
        self.master.start()
        self.replica.start()
        conf = self.directory / "sentinel.conf"
        conf.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.directory}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {self.master.port} 1\n"
            f"sentinel down-after-milliseconds {SERVICE} 1000\n"
            f"sentinel failover-timeout {SERVICE} 5000\n"
        )
        self.proc = spawn(
            ["redis-server", str(conf), "--sentinel"], self.directory / "sentinel.log"
        )
        wait_ping(self.port)
        self._wait_for_replica()

    def _wait_for_replica(self) -> None:
        """Failover needs the sentinel to know a replica in sync with the master."""
        client = redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            replicas = client.sentinel_slaves(SERVICE)
            if any("s_down" not in r.get("flags", "") for r in replicas):
                client.close()
                return
            time.sleep(0.2)
        raise SystemExit("chaos: the sentinel did not see the replica in 30 s")

    def master_port(self) -> int:
        client = redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True)
        try:
            return int(client.sentinel_get_master_addr_by_name(SERVICE)[1])
        finally:
            client.close()

    def stop(self) -> None:
        end_group(self.proc)
        self.replica.stop()
        self.master.stop()

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.port}/{SERVICE}/0"
