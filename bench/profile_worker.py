"""Profile a gunicorn worker serving complete logins: where the server's CPU goes.

bench/profile_login.py profiles the app through Flask's test client; this one profiles
what bench/login_load.py measures: one gunicorn sync worker (the bench's counters on,
production profile, inline SMTP to the sink) driven by the bench's load client. The
worker's request thread runs under cProfile with a CPU clock (``time.thread_time``), so
waiting on sockets does not count; printed are the shares of that CPU by package and the
heaviest call paths. The profiler adds a fixed cost per Python call, so code made of many
small calls (templates, context locals) shows larger than it is: read shares, not ms.
From the repository root:

    .venv/bin/python bench/profile_worker.py [--logins 1500] [--top 40] [--save FILE]
"""

from __future__ import annotations

import argparse
import collections
import glob
import os
import pstats
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import loadclient, servers  # noqa: E402
from bench.login_load import otpauth_env  # noqa: E402

PORT = 18571
# A gunicorn config: the bench's counters, plus cProfile in the worker's request thread.
CONFIG = """
import cProfile, os, time
exec(open({counters!r}).read())
_counting_init = post_worker_init
PROFILE = cProfile.Profile(time.thread_time)
def post_worker_init(worker):
    _counting_init(worker)
    PROFILE.enable()
def worker_exit(server, worker):
    PROFILE.disable()
    PROFILE.dump_stats(os.path.join({out!r}, f"worker-{{os.getpid()}}.prof"))
"""


def group(path: str, name: str) -> str:
    if "site-packages/" in path:
        return path.split("site-packages/")[1].split("/")[0]
    if str(ROOT) in path:
        return "otpauth: " + path.split(str(ROOT) + "/")[1].split("/")[0]
    return "builtins" if path == "~" else "stdlib"


def report(stats: pstats.Stats, top: int) -> None:
    shares: collections.Counter[str] = collections.Counter()
    for (path, _, name), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        shares[group(path, name)] += own
    total = sum(shares.values())
    print("share of the worker's request-thread CPU, by package:")
    for name, own in shares.most_common(15):
        print(f"  {100 * own / total:5.1f} %  {name}")
    _heaviest(stats, "heaviest functions (own share):", 2, top, total)
    _heaviest(stats, "heaviest call paths (cumulative share):", 3, top, total)


def _heaviest(stats: pstats.Stats, title: str, column: int, top: int, total: float) -> None:
    """The ``top`` functions by one column of pstats' figures (2: own time, 3: cumulative)."""
    print(title)
    rows = sorted(
        ((figures[column], where) for where, figures in stats.stats.items()),  # type: ignore[attr-defined]
        reverse=True,
    )
    for seconds, (path, line, name) in rows[:top]:
        short = path.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        print(f"  {100 * seconds / total:5.1f} %  {short}:{line} {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=1500)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--save", help="also keep the raw profile here (pstats format)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="--db postgresql: server to create a database on",
    )
    args = parser.parse_args()
    with ExitStack() as stack:
        url = stack.enter_context(servers.private_redis(PORT + 9))
        sink = stack.enter_context(servers.smtp_sink())
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-profile-")))
        db_url = stack.enter_context(servers.database(args.db, args.pg_url))
        env = otpauth_env(args, url, sink.port, db_url)
        servers.prepare_database(env, args.logins + 300)
        config = work / "gunicorn_profile.py"
        config.write_text(CONFIG.format(counters=str(ROOT / "bench/counters.py"), out=str(work)))
        env["BENCH_COUNTERS_DIR"] = str(work)
        command = [str(ROOT / ".venv/bin/gunicorn"), "-c", str(config), "-w", "1"]
        command += ["-b", f"127.0.0.1:{PORT}", "bench.otpauth_app:app"]
        with open(work / "gunicorn.log", "wb") as log:
            proc = subprocess.Popen(
                command, env=servers._environment(env), cwd=ROOT, stdout=log, stderr=log
            )
        try:
            servers.wait_healthy(PORT)
            loadclient.run(PORT, sink.code_for, clients=4, first=0, count=args.logins, seconds=300)
        finally:
            servers.stop(proc)
        [profile] = glob.glob(os.path.join(work, "worker-*.prof"))
        stats = pstats.Stats(profile)
        if args.save:
            stats.dump_stats(args.save)
        report(stats, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
