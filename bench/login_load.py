"""Benchmark: complete logins per second and server CPU per login, otpauth vs a bare baseline.

One command runs, one after the other on the same machine and servers:
- ``baseline``: bench/baseline_app.py (five round trips, one Redis operation each);
- ``otpauth``: the app in its production profile (CSRF, per-IP limits, audit, sessions,
  authenticator checks all on) with inline SMTP delivery to a local aiosmtpd sink;
both under ``gunicorn -w 2`` (sync) with bench/counters.py, on a private redis-server and
SQLite or PostgreSQL (``--db``). 8 closed-loop clients (bench/loadclient.py) do complete
logins (request page, send, verify page, verify, dashboard), each for its own customer
and client IP. Printed: logins/s and its ratio to the baseline, p50/p99 per step, server
CPU ms per login (utime+stime of the gunicorn master and workers, from /proc), Redis round
trips and SQL statements per login and per step, and Redis bytes per pending code and
per session (MEMORY USAGE).

Bounded: at most ``--logins`` logins and ``--seconds`` per phase, 127.0.0.1 only; every
process it starts is stopped on the way out. From the repository root:

    .venv/bin/python bench/login_load.py [--db sqlite|postgresql] [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import loadclient, servers  # noqa: E402
from bench.report import report  # noqa: E402


def otpauth_env(args: argparse.Namespace, redis_url: str, smtp_port: int, db_url: str) -> dict:
    """The production profile, with one trusted proxy (the clients send X-Forwarded-For)."""
    return {
        "OTPAUTH_ENV": "production",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "EMAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_DEFAULT_SENDER": "bench@localhost",
        "TWILIO_ACCOUNT_SID": "ACbench",
        "TWILIO_AUTH_TOKEN": "bench",
        "TWILIO_FROM_NUMBER": "+15005550006",
        "DELIVERY_MODE": "inline",
        "TRUSTED_PROXIES": "1",
    }


def phase(
    args: argparse.Namespace, name: str, stack: ExitStack, env: dict, app: str, code_for
) -> dict:
    """Start ``app`` under gunicorn, warm it up, measure, probe memory, stop it."""
    port, url = args.port_base + (0 if name == "baseline" else 1), args.redis_url
    counters_dir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    env = {**env, "BENCH_COUNTERS_DIR": str(counters_dir)}
    gunicorn = servers.gunicorn(app, port, args.workers, env, counters_dir / "gunicorn.log")
    master = stack.enter_context(gunicorn)
    servers.wait_healthy(port)
    warm = loadclient.run(
        port, code_for, clients=args.clients, first=0, count=args.warmup, seconds=30
    )
    if warm.failures:
        raise SystemExit(f"bench: {name} warm-up failed: {warm.failures[:3]}")
    cpu_before, commands_before = servers.cpu_seconds(master.pid), servers.redis_commands(url)
    measured = loadclient.run(
        port,
        code_for,
        clients=args.clients,
        first=args.warmup,
        count=args.logins,
        seconds=args.seconds,
    )
    cpu = servers.cpu_seconds(master.pid) - cpu_before
    commands = servers.redis_commands(url) - commands_before
    memory = servers.memory_probe(port, code_for, args.warmup + args.logins + 1, url)
    servers.stop(master)
    return {
        "name": name,
        "results": measured,
        "cpu_seconds": cpu,
        "redis_commands": commands,
        "counters": servers.read_counters(counters_dir),
        "memory": memory,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds per app")
    parser.add_argument("--logins", type=int, default=6000, help="most logins per app")
    parser.add_argument("--warmup", type=int, default=80, help="logins before measuring")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--port-base", type=int, default=18500, help="ports base, base+1, base+9")
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="--db postgresql: server to create a database on",
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    args.seconds = min(max(args.seconds, 1), 120)
    args.logins = min(max(args.logins, 10), 50000)
    with ExitStack() as stack:
        redis_url = args.redis_url = stack.enter_context(servers.private_redis(args.port_base + 9))
        sink = stack.enter_context(servers.smtp_sink())
        store = redis.Redis.from_url(redis_url)

        def baseline_code(contact: str) -> str:
            return store.get(f"baseline:code:{contact}").decode()

        env = {"BASELINE_REDIS_URL": redis_url}
        baseline = phase(args, "baseline", stack, env, "bench.baseline_app:app", baseline_code)
        store.flushall()
        db_url = stack.enter_context(servers.database(args.db, args.pg_url))
        env = otpauth_env(args, redis_url, sink.port, db_url)
        servers.prepare_database(env, args.warmup + args.logins + 2)
        otpauth = phase(args, "otpauth", stack, env, "wsgi:app", sink.code_for)
    figures = report(args, baseline, otpauth, machine())
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}"


if __name__ == "__main__":
    raise SystemExit(main())
