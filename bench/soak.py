"""Soak: logins at ~70 % of the measured capacity for 10 minutes; do the processes grow?

The stack of bench/chaos.py (private redis-server, SMTP sink, gunicorn -w 2 with
deploy/gunicorn.conf.py, one RQ worker, PostgreSQL or SQLite; queue mode, 127.0.0.1 only)
and its clients. First a closed-loop run (``--probe-seconds``, 16 clients) measures the
capacity C in logins/s; then the soak starts logins at 0.7 C for ``--minutes``, sampling
every ``--every`` seconds the RSS and open file descriptors of each process (gunicorn
master and workers, the RQ worker and its children, redis-server, the sink) and Redis's
``used_memory``. Printed: each figure at the start and the end of the last 80 % of the run
(the last 8 of 10 minutes; the first 2 are warm-up, while Redis fills to its steady state)
and its growth; exit status 1 when one grows more than 5 %.

Steady state needs bounded keys: the logins cycle through C x 90 customers and as many
client addresses (each logs in every ~90 s; OTP_MAX_REQUESTS is 20 here, so the per-contact
limit never refuses them), and sessions and codes live 60 s (SESSION_IDLE_SECONDS,
OTP_TTL_SECONDS). Open files may grow by 2 (a pooled connection opened late) and pass.

    .venv/bin/python bench/soak.py [--minutes 10] [--db sqlite]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import servers  # noqa: E402
from bench.chaos_app import App  # noqa: E402
from bench.chaos_client import Clients  # noqa: E402
from bench.chaos_sink import Sink  # noqa: E402
from bench.chaos_stack import RedisServer, group_members  # noqa: E402
from bench.login_load import otpauth_env  # noqa: E402

LIMIT = 5.0  # per cent of growth allowed over the measured window
FD_SLACK = 2  # open files: a pooled connection opened late is not a leak
CYCLE = 90  # seconds between two logins of one customer (and one client address)


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def sample(app: App, redis_server: RedisServer, sink: Sink) -> dict[str, int]:
    """One sample: name -> value (RSS in kB, open fds, Redis bytes)."""
    assert app.web is not None and app.worker is not None and sink.proc is not None
    assert redis_server.proc is not None
    roles = {app.web.pid: "gunicorn master", redis_server.proc.pid: "redis-server"}
    roles[sink.proc.pid] = "smtp sink"
    for n, pid in enumerate(sorted(app.web_workers())):
        roles[pid] = f"gunicorn worker {n + 1}"
    for pid in group_members(app.worker.pid):
        roles[pid] = "rq worker" if pid == app.worker.pid else f"rq worker child {pid}"
    values: dict[str, int] = {}
    for pid, role in roles.items():
        try:
            values[f"{role} RSS kB"] = status_kb(pid, "VmRSS")
            values[f"{role} fds"] = len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:  # gone meanwhile
            continue
    client = redis.Redis.from_url(redis_server.url)
    values["redis used_memory B"] = int(client.info("memory")["used_memory"])
    client.close()
    return values


def census(url: str) -> dict[str, int]:
    """Redis keys by kind (the key with its variable parts dropped) -> how many."""
    client = redis.Redis.from_url(url)
    kinds: dict[str, int] = {}
    for key in client.scan_iter(count=1000):
        parts = key.decode(errors="replace").split(":")
        kind = ":".join(
            p if not any(c.isdigit() for c in p) and len(p) < 20 else "*" for p in parts
        )
        kinds[kind] = kinds.get(kind, 0) + 1
    client.close()
    return kinds


def growth(samples: list[tuple[float, dict[str, int]]], since: float) -> list[tuple]:
    """(name, first, last, per cent) over the samples taken at or after ``since``."""
    window = [values for at, values in samples if at >= since]
    rows = []
    for name in sorted(window[-1]):
        firsts = [v[name] for v in window if name in v]
        first, last = firsts[0], window[-1][name]
        rows.append((name, first, last, 100.0 * (last - first) / first if first else 0.0))
    return rows


def soak_env(redis_url: str, sink_port: int, db_url: str) -> dict:
    env = otpauth_env(argparse.Namespace(), redis_url, sink_port, db_url)
    env.pop("BENCH_SEND_DELAY")
    env.update(DELIVERY_MODE="queue", OTP_TTL_SECONDS="60", SESSION_IDLE_SECONDS="60")
    env.update(OTP_MAX_REQUESTS="20")  # a customer logs in every CYCLE s, 7 times in 10 min
    return env


def run(args: argparse.Namespace, logs: Path, db_url: str) -> int:
    redis_server, sink = RedisServer(logs), Sink()
    app = None
    try:
        redis_server.start()
        sink.start()
        env = soak_env(redis_server.url, sink.port, db_url)
        servers.prepare_database(env, args.max_customers)
        app = App(env, logs, 2)
        app.start()
        probe = Clients(app.port, sink, first=0, last=args.max_customers - 1, code_wait=15)
        probe.start(16)
        time.sleep(args.probe_seconds)
        probe.stop()
        capacity = probe.done() / args.probe_seconds
        rate = 0.7 * capacity
        first = len(probe.attempts) + 50  # customers the probe did not touch
        customers = min(max(math.ceil(rate * CYCLE), 100), args.max_customers - first)
        print(
            f"soak: capacity {capacity:.1f} logins/s; soaking at {rate:.1f}/s over"
            f" {customers} customers for {args.minutes} min",
            flush=True,
        )
        clients = Clients(
            app.port,
            sink,
            first=first,
            last=first + customers - 1,
            code_wait=15,
            customers=customers,
            rate=rate,
        )
        clients.start(max(8, math.ceil(rate * 1.5)))
        began, samples, keys = time.monotonic(), [], []
        end, since = began + args.minutes * 60, began + args.minutes * 60 * 0.2
        while time.monotonic() < end:
            samples.append((time.monotonic(), sample(app, redis_server, sink)))
            if not keys and samples[-1][0] >= since:
                keys.append(census(redis_server.url))
            time.sleep(min(args.every, max(end - time.monotonic(), 0)))
        samples.append((time.monotonic(), sample(app, redis_server, sink)))
        keys.append(census(redis_server.url))
        clients.stop()
        show_keys(keys[0], keys[-1])
        return report(clients, samples, since, rate)
    finally:
        if app is not None:
            app.stop()
        sink.stop()
        redis_server.stop()


def show_keys(before: dict[str, int], after: dict[str, int]) -> None:
    """Redis keys by kind at the window's start and end: which kind grows, if any."""
    print(f"{'redis keys':40} {'window start':>14} {'end':>14}")
    for kind in sorted(set(before) | set(after), key=lambda k: -after.get(k, 0))[:12]:
        print(f"{kind[:40]:40} {before.get(kind, 0):14,} {after.get(kind, 0):14,}")


def report(clients: Clients, samples: list, since: float, rate: float) -> int:
    done, failed = clients.done(), sum(bool(a.error) for a in clients.attempts)
    wrong = sum(bool(a.wrong) for a in clients.attempts)
    seconds = samples[-1][0] - samples[0][0]
    print(
        f"soak: {done} logins ({done / seconds:.1f}/s, aimed {rate:.1f}/s), {failed} failed,"
        f" {wrong} wrong; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'figure':40} {'window start':>14} {'end':>14} {'growth':>8}")
    over = []
    for name, first, last, pct in growth(samples, since):
        grown = pct > LIMIT and not (name.endswith(" fds") and last - first <= FD_SLACK)
        print(f"{name:40} {first:14,} {last:14,} {pct:7.1f}%{'  OVER' if grown else ''}")
        if grown:
            over.append(name)
    verdict = f"growth over {LIMIT:.0f} %: {', '.join(over)}" if over else "no growth over 5 %"
    print(f"soak: {verdict}")
    return 1 if over or wrong else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--probe-seconds", type=float, default=20)
    parser.add_argument("--every", type=float, default=10, help="seconds between samples")
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--max-customers", type=int, default=20000)
    args = parser.parse_args()
    args.minutes = min(max(args.minutes, 1), 30)
    logs = Path(tempfile.mkdtemp(prefix="otpauth-soak-"))
    print(f"soak: logs in {logs}", flush=True)
    with servers.database(args.db, args.pg_url) as db_url:
        status = run(args, logs, db_url)
    if status == 0:
        shutil.rmtree(logs, ignore_errors=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
