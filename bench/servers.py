"""The servers bench/login_load.py runs: a private redis-server, an SMTP sink, gunicorn, a database.

Everything listens on 127.0.0.1 and is stopped when its ``with`` block ends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from bench import loadclient

ROOT = Path(__file__).resolve().parent.parent
# Only these of the bench's own environment reach the servers (no OTP_*, REDIS_URL, ...).
PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
# The virtualenv's scripts (flask, gunicorn): the tree's own .venv, else the one running us.
BIN = ROOT / ".venv/bin" if (ROOT / ".venv/bin").is_dir() else Path(sys.executable).parent


def _environment(env: dict) -> dict:
    return {**{k: os.environ[k] for k in PASSED_ENV if k in os.environ}, **env}


@contextmanager
def private_redis(port: int) -> Iterator[str]:
    """A redis-server of the bench's own (clean INFO and MEMORY figures), no persistence."""
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as directory:
        proc = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", directory, "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        try:
            client = redis.Redis.from_url(url)
            for _ in range(100):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            client.close()
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


class Codes:
    """The codes the sink process reports, for the load client to wait on."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.codes: dict[str, str] = {}
        self.ready = threading.Condition()

    def read(self, stream) -> None:  # noqa: ANN001
        for line in stream:
            recipient, _, code = line.strip().partition(" ")
            with self.ready:
                self.codes[recipient] = code
                self.ready.notify_all()

    def code_for(self, contact: str) -> str:
        with self.ready:
            if not self.ready.wait_for(lambda: contact in self.codes, timeout=10):
                raise loadclient.LoginFailed(f"no code arrived for {contact}")
            return self.codes.pop(contact)


@contextmanager
def smtp_sink() -> Iterator[Codes]:
    """An SMTP sink in its own process (its parsing must not slow the load client)."""
    sys.path.insert(0, str(ROOT))
    from tests.smtp_server import free_port

    codes = Codes(free_port())
    command = [
        sys.executable,
        "-c",
        f"from bench.smtp_sink import serve; serve({codes.port})",
    ]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    reader = None
    try:
        if proc.stdout.readline().strip() != "ready":  # type: ignore[union-attr]
            raise SystemExit("bench: the SMTP sink did not start")
        reader = threading.Thread(target=codes.read, args=(proc.stdout,), daemon=True)
        reader.start()
        yield codes
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if reader is not None:
            reader.join(timeout=5)  # it reads to the end of the pipe, now closed by the sink
        proc.stdout.close()  # type: ignore[union-attr]


@contextmanager
def database(kind: str, pg_url: str) -> Iterator[str]:
    """A new, empty database: a SQLite file, or a PostgreSQL database created and dropped here."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-db-") as directory:
            yield f"sqlite:///{directory}/bench.sqlite"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(pg_url)
    if base.host not in ("127.0.0.1", "localhost"):
        raise SystemExit("bench: --pg-url must be a server on 127.0.0.1")
    name = f"otpauth_bench_{uuid.uuid4().hex[:8]}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare_database(env: dict, count: int) -> None:
    """Migrate, then add ``count`` customers bench-N@example.com in one INSERT."""
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    run = {"env": _environment(env), "cwd": ROOT, "check": True, "capture_output": True}
    subprocess.run([*flask, "db", "upgrade"], **run)  # type: ignore[arg-type]
    code = (
        "from otpauth import create_app\nfrom otpauth.platform.extensions import db\n"
        "from otpauth.signin.models import Customer\napp = create_app()\nwith app.app_context():\n"
        "    db.session.execute(db.insert(Customer), [dict(name=f'Bench {i}', "
        f"email=f'bench-{{i}}@example.com', customer_type='Household') for i in range({count})])\n"
        "    db.session.commit()\n"
    )
    subprocess.run([sys.executable, "-c", code], **run)  # type: ignore[arg-type]


@contextmanager
def gunicorn(app: str, port: int, workers: int, env: dict, log: Path) -> Iterator:
    """``gunicorn -w workers`` (sync) serving ``app`` with the bench's counters."""
    command = [str(BIN / "gunicorn"), "-c", str(ROOT / "bench/counters.py")]
    command += ["-w", str(workers), "-b", f"127.0.0.1:{port}", app]
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            command, env=_environment(env), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield proc
    except BaseException:
        print(log.read_text()[-3000:], file=sys.stderr)  # the server's last words
        raise
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """Stop gracefully (the workers write their counters on the way out)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_healthy(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if loadclient.Browser(port, "127.0.0.1").call("GET", "/healthz")[0] == 200:
                return
        except OSError:  # not listening yet
            pass
        time.sleep(0.2)
    raise SystemExit(f"bench: the server on port {port} did not become healthy")


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(master: int) -> float:
    """utime + stime of the gunicorn master and its live workers, in seconds."""
    pids = [master]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == master:
                    pids.append(int(entry.name))
            except (OSError, IndexError):  # gone meanwhile
                continue
    ticks = 0
    for pid in pids:
        fields = _stat(pid)
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def redis_commands(url: str) -> int:
    """Commands the Redis server has run so far (INFO commandstats, scripts' inner ones too)."""
    stats = redis.Redis.from_url(url).info("commandstats")
    return sum(v["calls"] for k, v in stats.items() if k not in ("cmdstat_info",))


def read_counters(directory: Path) -> dict:
    """The workers' counts, summed: step -> requests, sql, redis (purpose -> round trips)."""
    total: dict[str, dict] = {}
    for path in directory.glob("counters-*.json"):
        for step, counts in json.loads(path.read_text()).items():
            into = total.setdefault(step, {"requests": 0, "sql": 0, "redis": Counter()})
            into["requests"] += counts["requests"]
            into["sql"] += counts["sql"]
            into["redis"].update(counts["redis"])
    return total


def _sizes(client: redis.Redis, keys: list[bytes]) -> dict[bytes, int]:
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.memory_usage(key, samples=0)
    return dict(zip(keys, pipe.execute(), strict=True))


def memory_probe(port: int, code_for, index: int, url: str) -> dict:  # noqa: ANN001
    """Redis bytes one more login adds: per pending code, per session, per client IP."""
    client = redis.Redis.from_url(url)
    before = set(client.scan_iter(count=10000))
    after_send: set[bytes] = set()
    sent: dict[bytes, int] = {}

    def snapshot() -> None:  # sized now: the code's key is gone after the login
        after_send.update(client.scan_iter(count=10000))
        sent.update(_sizes(client, sorted(after_send - before)))

    loadclient.login(port, index, code_for, {}, after_send=snapshot)
    after_login = set(client.scan_iter(count=10000))
    limits = (b"LIMITS", b"otpauth-rl")
    logged = _sizes(client, sorted(after_login - after_send))
    code = {k: v for k, v in sent.items() if not any(m in k for m in limits)}
    session = {k: v for k, v in logged.items() if not any(m in k for m in limits)}
    per_ip = {k: v for k, v in {**sent, **logged}.items() if any(m in k for m in limits)}
    client.close()
    return {
        "code_bytes": sum(v or 0 for v in code.values()),
        "code_keys": [k.decode(errors="replace") for k in code],
        "session_bytes": sum(v or 0 for v in session.values()),
        "session_keys": [k.decode(errors="replace") for k in session],
        "per_ip_bytes": sum(v or 0 for v in per_ip.values()),
    }
