"""The faults bench/chaos.py injects, one per scenario, each while the logins run.

Each ``inject`` returns when the fault is over as far as the bench is concerned (a killed
process restarted, as a supervisor would) and answers a note for the report.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from sqlalchemy.engine import make_url

from bench.chaos_app import App
from bench.chaos_probe import NoWorkerWatch
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
    observed: dict[str, float] = field(default_factory=dict)  # figures of the fault itself


NO_WORKER_LIMIT = 60  # seconds worker-kill keeps the worker down waiting for "no worker"


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
    database instead, again and again for the length of a restart (2 s short, 10 s full):
    what the app sees of one, its connections dropped, mid-query ones included, and the new
    ones too until the server is back."""
    url = make_url(stage.db_url)
    if not url.drivername.startswith("postgresql"):
        return "skipped: needs --db postgresql"
    admin = url.set(drivername="postgresql", database="postgres")
    down, ended = max(10 * stage.scale, 2), set()
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        deadline = time.monotonic() + down
        while time.monotonic() < deadline:
            # In the select list, so it runs only on the rows the WHERE keeps (in the WHERE
            # the planner may call it first, on every backend of the server).
            rows = conn.execute(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (url.database,),
            ).fetchall()
            ended.update(pid for pid, _ in rows)
            time.sleep(0.05)
    return (
        f"pg_terminate_backend on every backend for {down:.0f} s ({len(ended)} ended;"
        " PostgreSQL itself not restarted)"
    )


def gunicorn_kill(stage: Stage) -> str:
    """SIGKILL one gunicorn worker (under load it is serving a request); the master forks
    another."""
    pids = stage.app.web_workers()
    if not pids:
        return "no gunicorn worker found"
    os.kill(pids[0], signal.SIGKILL)
    return f"SIGKILL gunicorn worker {pids[0]}"


def worker_kill(stage: Stage) -> str:
    """SIGKILL the RQ worker while the sink holds a message's answer (mid-send); keep it down
    until /healthz and /metrics both say there is no worker (at most ``NO_WORKER_LIMIT``
    s), then the bench's supervisor starts a new one. The codes asked for meanwhile wait
    in the queue: sent by the new worker, or audited."""
    mid_send = stage.sink.wait_mail(10)
    stage.app.kill_worker(hold=True)
    killed_at = time.monotonic()
    watch = NoWorkerWatch(stage.app.port)
    watch.wait(killed_at, NO_WORKER_LIMIT)
    stage.app.release_worker()
    stage.observed.update(
        no_worker_health_seconds=watch.health_seconds,
        no_worker_metric_seconds=watch.metric_seconds,
    )
    how = "mid-send" if mid_send else "(no send seen in 10 s)"
    return f"SIGKILL worker {how}; restarted once /healthz and /metrics said no worker"


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
