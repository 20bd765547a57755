"""Benchmark: complete logins per second and server CPU per login, otpauth vs a bare baseline.

One command runs, one after the other on the same machine and servers:
- ``baseline``: bench/baseline_app.py (five round trips, one Redis operation each);
- ``otpauth``: the app in its production profile (CSRF, per-IP limits, audit, sessions,
  authenticator checks all on) with inline SMTP delivery to a local SMTP sink (bench/smtp_sink.py);
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
        # Proof of work stays in auto mode (its meter counts), with the threshold above the
        # bench's rate: the bench is the legitimate peak, not an attack (see docs/DEPLOY.md).
        "CHALLENGE_THRESHOLD_PER_MINUTE": "1000000",
        "BENCH_SEND_DELAY": str(getattr(args, "send_delay", 0.0)),
    }


class Contender:
    """One app under gunicorn: its port, processes, counters and what was measured."""

    def __init__(self, name: str, app: str, port: int, code_for, stack: ExitStack) -> None:  # noqa: ANN001
        self.name, self.app, self.port, self.code_for = name, app, port, code_for
        self.stack = stack
        self.counters = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        self.next_login = 0
        self.results = loadclient.Results()
        self.cpu = 0.0
        self.commands = 0

    def start(self, env: dict, workers: int) -> None:
        env = {**env, "BENCH_COUNTERS_DIR": str(self.counters)}
        log = self.counters / "gunicorn.log"
        self.master = self.stack.enter_context(
            servers.gunicorn(self.app, self.port, workers, env, log)
        )
        servers.wait_healthy(self.port)

    def drive(self, clients: int, count: int, seconds: float, measured: bool, url: str) -> None:
        """Run the load for ``seconds`` (at most ``count`` logins); add it up if ``measured``."""
        cpu, commands = servers.cpu_seconds(self.master.pid), servers.redis_commands(url)
        run = loadclient.run(
            self.port,
            self.code_for,
            clients=clients,
            first=self.next_login,
            count=count,
            seconds=seconds,
        )
        self.next_login += run.logins + len(run.failures)
        if run.failures:
            raise SystemExit(f"bench: {self.name}: {len(run.failures)} failed, {run.failures[:3]}")
        if measured:
            if run.logins >= count:
                print(f"bench: a round of {self.name} ended on its count: raise --logins")
            self.cpu += servers.cpu_seconds(self.master.pid) - cpu
            self.commands += servers.redis_commands(url) - commands
            self.results.merge(run)

    def finish(self, url: str) -> dict:
        memory = servers.memory_probe(self.port, self.code_for, self.next_login, url)
        servers.stop(self.master)
        return {
            "name": self.name,
            "results": self.results,
            "cpu_seconds": self.cpu,
            "redis_commands": self.commands,
            "counters": servers.read_counters(self.counters),
            "memory": memory,
        }


def measure(args: argparse.Namespace, contenders: list[Contender]) -> None:
    """Warm both up, then alternate them in short rounds, so a change in the machine's
    background load falls on both alike."""
    for contender in contenders:
        contender.drive(args.clients, args.warmup, 60, False, args.redis_url)
        (contender.counters / "counting").touch()  # bench/counters.py counts from now on
    rounds = max(1, round(args.seconds / args.round_seconds))
    for _ in range(rounds):
        for contender in contenders:
            count = args.logins // rounds
            contender.drive(args.clients, count, args.round_seconds, True, args.redis_url)
    for contender in contenders:
        (contender.counters / "counting").unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=30, help="measured seconds per app")
    parser.add_argument("--round-seconds", type=float, default=3, help="seconds per turn")
    # Rounds must end on time: one that ends on its share of --logins is shorter for the
    # faster app, and a short round weighs its own start more (each login is for a customer
    # of its own, so the database gets this many).
    parser.add_argument("--logins", type=int, default=40000, help="most logins per app")
    parser.add_argument("--warmup", type=int, default=80, help="logins before measuring")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--port-base", type=int, default=18500, help="ports base, base+1, base+9")
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="--db postgresql: server to create a database on",
    )
    parser.add_argument(
        "--send-delay", type=float, default=0.0, help="DELIVERY_SEND_DELAY (the app's: 0.25)"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    args.seconds = min(max(args.seconds, 1), 120)
    args.logins = min(max(args.logins, 10), 50000)
    load_before = os.getloadavg()[0]  # other work on the machine skews both apps alike
    with ExitStack() as stack:
        url = args.redis_url = stack.enter_context(servers.private_redis(args.port_base + 9))
        sink = stack.enter_context(servers.smtp_sink())
        store = redis.Redis.from_url(url)

        def baseline_code(contact: str) -> str:
            return store.get(f"baseline:code:{contact}").decode()

        db_url = stack.enter_context(servers.database(args.db, args.pg_url))
        env = otpauth_env(args, url, sink.port, db_url)
        servers.prepare_database(env, args.warmup + args.logins + 10)
        baseline = Contender(
            "baseline", "bench.baseline_app:app", args.port_base, baseline_code, stack
        )
        otpauth = Contender(
            "otpauth", "bench.otpauth_app:app", args.port_base + 1, sink.code_for, stack
        )
        baseline.start({"BASELINE_REDIS_URL": url}, args.workers)
        otpauth.start(env, args.workers)
        measure(args, [baseline, otpauth])
        phases = [baseline.finish(url), otpauth.finish(url)]
    load = os.getloadavg()[0]
    figures = report(args, *phases, f"{machine()}; load average {load_before:.1f} -> {load:.1f}")
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
