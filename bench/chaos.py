"""Chaos suite: closed-loop logins in queue mode while one part of the system fails.

For each scenario (``--scenario NAME``, default all, one at a time) it starts, on free
127.0.0.1 ports, a private redis-server (a master, a replica and a sentinel for
``sentinel-failover``), the SMTP sink (bench/smtp_sink.py), the app in its production
profile with DELIVERY_MODE=queue under gunicorn (deploy/gunicorn.conf.py, ``-w 2``) and one
``flask --app wsgi worker``; the database is one PostgreSQL database of its own (created on
the machine's server and dropped at the end) or a SQLite file (``--db sqlite``). Clients
(bench/chaos_client.py) log in for a while, the fault is injected (bench/chaos_scenarios.py),
the logins go on, then the bench waits a bounded grace period (the lost-job sweep's bound:
code TTL + 30 s + one 15-s period) for every issued code to be delivered or audited, and
prints the figures of bench/chaos_ledger.py. Exit status 1 when any scenario has a wrong
login or an unaccounted code, or (worker-kill) /healthz or /metrics took over 30 s to say
that no worker lives. The code TTL is short here (``--ttl``), so that the grace period
stays short.

Bounded: each scenario runs ``--seconds`` (``--short``: a few) and at most ``--logins``
logins; 127.0.0.1 only; every process it starts is stopped on the way out. From the root:

    .venv/bin/python bench/chaos.py [--short] [--scenario worker-kill] [--db sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import servers  # noqa: E402
from bench.chaos_app import App  # noqa: E402
from bench.chaos_client import Clients  # noqa: E402
from bench.chaos_ledger import Audit, Figures, count, settle  # noqa: E402
from bench.chaos_probe import METRICS_TOKEN  # noqa: E402
from bench.chaos_scenarios import SCENARIOS, Scenario, Stage  # noqa: E402
from bench.chaos_sink import Sink  # noqa: E402
from bench.chaos_stack import RedisServer, SentinelGroup  # noqa: E402
from bench.login_load import otpauth_env  # noqa: E402

# The ledger's sweep (otpauth/delivery/ledger.py, the app's defaults) audits a hand-off as
# lost once it is older than the code's lifetime + DELIVERY_LOST_GRACE_SECONDS, at the
# next of its DELIVERY_SWEEP_SECONDS periods; the audit writer then commits it within a
# few seconds. The grace after the last login covers all of that: a lost code is audited
# before the bench counts it (the wait ends as soon as every code is accounted for).
LOST_GRACE_SECONDS = 30
SWEEP_SECONDS = 15
SETTLE_SECONDS = 5


def chaos_env(args: argparse.Namespace, redis_url: str, smtp_port: int, db_url: str) -> dict:
    """bench/login_load.py's production profile, in queue mode with a short code TTL."""
    env = otpauth_env(args, redis_url, smtp_port, db_url)
    env.pop("BENCH_SEND_DELAY")  # wsgi:app keeps the app's own send delay
    env.update(
        DELIVERY_MODE="queue",
        OTP_TTL_SECONDS=str(args.ttl),
        DELIVERY_BREAKER_SECONDS=str(args.breaker_seconds),
        METRICS_TOKEN=METRICS_TOKEN,
    )
    return env


def run_scenario(
    scenario: Scenario, position: int, args: argparse.Namespace, db_url: str
) -> Figures:
    """Start the servers, run the logins, inject the fault, count; stop everything."""
    directory = Path(tempfile.mkdtemp(prefix=f"{scenario.name}-", dir=args.logs))
    redis = SentinelGroup(directory) if scenario.sentinel else RedisServer(directory)
    sink, app, clients = Sink(scenario.sink_hold), None, None
    audit = Audit(db_url)
    try:
        redis.start()
        sink.start()
        app = App(chaos_env(args, redis.url, sink.port, db_url), directory, args.workers)
        app.start()
        first = position * args.logins
        clients = Clients(
            app.port, sink, first=first, last=first + args.logins - 1, code_wait=args.code_wait
        )
        clients.start(args.clients)
        time.sleep(args.seconds * 0.3)
        fault_at = time.monotonic()
        stage = Stage(app, redis, sink, db_url, args.scale)
        note = scenario.inject(stage)
        time.sleep(max(args.seconds * 0.7 - (time.monotonic() - fault_at), args.seconds * 0.3))
        clients.stop()
        issued = {a.contact for a in clients.attempts if a.issued}
        waited = settle(issued, sink, audit, args.grace)
        figures = count(scenario.name, clients.attempts, sink, audit, fault_at)
        figures.note, figures.grace_seconds = note, round(waited, 1)
        figures.orphans, figures.worker_restarts = app.orphans(), app.worker_restarts
        for name, value in stage.observed.items():
            setattr(figures, name, value)
        return figures
    finally:
        if clients is not None:
            clients.stop()
        if app is not None:
            app.stop()
        sink.stop()
        redis.stop()
        audit.close()


def show(f: Figures) -> None:
    print(f"{f.scenario}: {f.note}")
    print(
        f"  logins  attempted {f.attempted}  succeeded {f.succeeded}  failed {f.failed}"
        f"  WRONG {f.wrong}"
    )
    print(
        f"  codes   issued {f.issued}  delivered {f.delivered}  audited as failed"
        f" {f.audited_failed}  audited as skipped {f.audited_skipped}  UNACCOUNTED"
        f" {f.unaccounted}  duplicate deliveries {f.duplicates}"
    )
    recovered = f"{f.recover_seconds} s after the fault" if f.recover_seconds >= 0 else "never"
    print(
        f"  errors  {f.error_seconds} s with errors; recovered {recovered}; waited"
        f" {f.grace_seconds} s for stragglers"
    )
    print(
        f"  worker  restarted {f.worker_restarts} times by the supervisor; orphan processes"
        f" left by dead workers {f.orphans}"
    )
    if f.no_worker_health_seconds is not None:
        print(
            f"  health  no worker shown {f.no_worker_health_seconds} s after the kill by"
            f" /healthz, {f.no_worker_metric_seconds} s by /metrics (-1: not within"
            " 60 s)"
        )
    print(f"  {'ok' if f.passed() else 'FAIL'}", flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    names = [s.name for s in SCENARIOS]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=[*names, "all"], default="all")
    parser.add_argument("--short", action="store_true", help="a few seconds per scenario")
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--seconds", type=float, help="logins per scenario (default 60; short 12)")
    parser.add_argument("--logins", type=int, help="most logins per scenario")
    parser.add_argument("--ttl", type=int, help="OTP_TTL_SECONDS (default 60; short 20)")
    parser.add_argument(
        "--grace", type=int, help="most seconds to wait for stragglers (default: the sweep's bound)"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    args.seconds = min(max(args.seconds or (12 if args.short else 60), 5), 600)
    args.logins = min(max(args.logins or (400 if args.short else 5000), 50), 20000)
    args.ttl = args.ttl or (20 if args.short else 60)
    args.grace = args.grace or args.ttl + LOST_GRACE_SECONDS + SWEEP_SECONDS + SETTLE_SECONDS
    args.code_wait = min(args.ttl * 0.4, 15)  # a code retried once (5 s later) still counts
    args.scale = args.seconds / 60  # how long faults last: 30 s of SMTP down in a 60-s run
    args.breaker_seconds = 10 if args.short else 60
    args.chosen = [s for s in SCENARIOS if args.scenario in ("all", s.name)]
    if args.db == "sqlite":
        args.chosen = [s for s in args.chosen if s.name != "postgres-restart"]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    args.logs = tempfile.mkdtemp(prefix="otpauth-chaos-")
    print(f"chaos: logs in {args.logs}; load average {os.getloadavg()[0]:.1f}", flush=True)
    results: list[Figures] = []
    with servers.database(args.db, args.pg_url) as db_url:
        env = chaos_env(args, "redis://127.0.0.1:1/0", 1, db_url)
        servers.prepare_database(env, len(SCENARIOS) * args.logins)
        for scenario in args.chosen:
            position = SCENARIOS.index(scenario)
            results.append(run_scenario(scenario, position, args, db_url))
            show(results[-1])
    if args.json:
        Path(args.json).write_text(json.dumps([f.as_dict() for f in results], indent=2))
    failed = [f.scenario for f in results if not f.passed()]
    print(f"chaos: {'FAILED: ' + ', '.join(failed) if failed else 'all scenarios ok'}")
    if not failed:
        shutil.rmtree(args.logs, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
