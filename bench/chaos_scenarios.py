"""The faults bench/chaos.py injects, one per scenario, each while the logins run.

Each ``inject`` returns when the fault is over as far as the bench is concerned (a killed
process restarted, as a supervisor would) and answers a note for the report.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from sqlalchemy.engine import make_url

from bench.chaos_app import App
from bench.chaos_sink import Sink
from bench.chaos_stack import RedisServer, SentinelGroup


@dataclass
class Stage:
    """What a scenario acts on; ``scale`` is 1 for the full run and smaller for --short."""

    app: App
    redis: RedisServer | SentinelGroup
    sink: Sink
    db_url: str
    scale: float


def redis_restart(stage: Stage) -> str:
    """SIGKILL the Redis server (no persistence: every key is gone), start it again."""
    assert isinstance(stage.redis, RedisServer)
    down = max(10 * stage.scale, 2)
    stage.redis.kill()
    time.sleep(down)
    stage.redis.start()
    return f"Redis down {down:.0f} s, back empty"


def sentinel_failover(stage: Stage) -> str:
    """SIGKILL the Sentinel-managed master; wait for the sentinel to promote the replica."""
    assert isinstance(stage.redis, SentinelGroup)
    group, started = stage.redis, time.monotonic()
    group.master.kill()
    deadline = started + 60
    while time.monotonic() < deadline:
        if group.master_port() == group.replica.port:
            return f"replica promoted {time.monotonic() - started:.1f} s after the kill"
        time.sleep(0.2)
    return "no failover within 60 s"


def postgres_restart(stage: Stage) -> str:
    """The machine's PostgreSQL is not ours to restart: terminate every backend of the app's
    database instead (what the app sees of a restart: all its connections drop at once)."""
    url = make_url(stage.db_url)
    if not url.drivername.startswith("postgresql"):
        return "skipped: needs --db postgresql"
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (url.database,),
        ).fetchall()
    return f"pg_terminate_backend on {len(rows)} backends (PostgreSQL itself not restarted)"


def gunicorn_kill(stage: Stage) -> str:
    """SIGKILL one gunicorn worker (under load it is serving a request); the master forks
    another."""
    pids = stage.app.web_workers()
    if not pids:
        return "no gunicorn worker found"
    os.kill(pids[0], signal.SIGKILL)
    return f"SIGKILL gunicorn worker {pids[0]}"


def worker_kill(stage: Stage) -> str:
    """SIGKILL the RQ worker while the sink holds a message's answer (mid-send); the bench's
    supervisor starts a new worker a second later."""
    mid_send = stage.sink.wait_mail(10)
    stage.app.kill_worker()
    return "SIGKILL worker " + ("mid-send" if mid_send else "(no send seen in 10 s)")


def smtp_down(stage: Stage) -> str:
    """Stop the SMTP sink (connections refused), start it again on the same port."""
    down = max(30 * stage.scale, 5)
    stage.sink.stop()
    time.sleep(down)
    stage.sink.start()
    return f"SMTP sink down {down:.0f} s"


@dataclass(frozen=True)
class Scenario:
    name: str
    inject: Callable[[Stage], str]
    sentinel: bool = False
    sink_hold: float = 0.0  # seconds the sink holds each answer (worker-kill: mid-send)


SCENARIOS = (
    Scenario("redis-restart", redis_restart),
    Scenario("sentinel-failover", sentinel_failover, sentinel=True),
    Scenario("postgres-restart", postgres_restart),
    Scenario("gunicorn-kill", gunicorn_kill),
    Scenario("worker-kill", worker_kill, sink_hold=0.3),
    Scenario("smtp-down", smtp_down),
)
