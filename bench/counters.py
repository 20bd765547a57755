"""Gunicorn config for bench/login_load.py: count Redis round trips and SQL statements per step.

Loaded with ``gunicorn -c bench/counters.py``; it never touches the app's code. In each
worker it counts, per request step (method and path): the requests, the Redis round trips
(every packed command written to a Redis socket: one per command, pipeline or script
call), sorted by what they were for (the first key's prefix), and the SQL statements
(SQLAlchemy cursor executions; the audit writer's batches apart, as ``audit``). Each
worker writes its counts to ``$BENCH_COUNTERS_DIR/counters-<pid>.json`` when it exits;
they cover the whole run (warm-up included), and the bench divides them by the requests
of each step.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter, defaultdict
from typing import Any

REQUESTS: Counter[str] = Counter()
SQL: Counter[str] = Counter()
REDIS: defaultdict[str, Counter[str]] = defaultdict(Counter)
_local = threading.local()  # the step this thread serves; none: a background thread
_SCRIPT_COMMANDS = (b"EVALSHA", b"EVAL", b"FCALL")
AUDIT_INSERT = "INSERT INTO AUTH_EVENTS"


def purpose(packed: Any) -> str:
    """What a packed Redis command is for, from its command name and first key."""
    data = b"".join(packed) if isinstance(packed, list | tuple) else bytes(packed)
    args = [part for part in data[:600].split(b"\r\n") if part and part[:1] not in b"*$"]
    if not args:
        return "other"
    if args[0].upper() == b"MULTI":  # a transaction: what its first command is for
        args = args[1:] or [b"MULTI"]
    name = args[0].upper()
    key = args[3] if name in _SCRIPT_COMMANDS and len(args) > 3 else args[1:2] or [b""]
    key = key if isinstance(key, bytes) else key[0]
    if name in (b"HELLO", b"CLIENT", b"PING", b"SCRIPT", b"AUTH", b"SELECT"):
        return "connection"
    if b"LIMITS" in key or b"otpauth-rl" in key:
        return "per-ip-limits"
    if key.startswith(b"rq:"):
        return "queue"
    return key.split(b":", 1)[0].decode(errors="replace") or name.decode(errors="replace")


def _install_counters() -> None:
    import redis.connection

    original = redis.connection.AbstractConnection.send_packed_command

    def counted(self: Any, command: Any, check_health: bool = True) -> None:
        REDIS[_step()][purpose(command)] += 1
        return original(self, command, check_health)

    redis.connection.AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]
    try:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
    except ImportError:  # the baseline has no SQL
        return

    @event.listens_for(Engine, "before_cursor_execute")
    def _sql(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        step = _step()
        if step == "background" and statement.lstrip().upper().startswith(AUDIT_INSERT):
            step = "audit"  # the writer's batches: one per worker per second, not per login
        SQL[step] += 1


MARKER = os.path.join(os.environ.get("BENCH_COUNTERS_DIR", "/nonexistent"), "counting")


def _step() -> str:
    step = getattr(_local, "step", None)
    if step:
        return step
    return "background" if os.path.exists(MARKER) else "uncounted"


def _dump() -> None:
    directory = os.environ.get("BENCH_COUNTERS_DIR")
    if not directory:
        return
    steps = set(REQUESTS) | set(SQL) | set(REDIS)
    report = {
        step: {"requests": REQUESTS[step], "sql": SQL[step], "redis": dict(REDIS[step])}
        for step in steps
    }
    with open(os.path.join(directory, f"counters-{os.getpid()}.json"), "w") as out:
        json.dump(report, out)


class Counting:
    """WSGI middleware: attributes what happens during a request to its step."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Any) -> Any:
        step = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"
        if not os.path.exists(MARKER):  # warm-up, probes: not counted
            step = "uncounted"
        _local.step = step
        REQUESTS[step] += 1
        result = self.app(environ, start_response)
        try:
            return list(result)  # a streamed body is built in here too
        finally:
            if hasattr(result, "close"):
                result.close()
            _local.step = None


def post_worker_init(worker: Any) -> None:
    _install_counters()
    worker.wsgi = Counting(worker.wsgi)


def worker_exit(server: Any, worker: Any) -> None:
    _dump()
