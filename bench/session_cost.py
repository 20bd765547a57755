"""Measure what a server-side session costs Redis: round trips per request, bytes per session.

Uses the real Redis named by ``--redis`` (its own database number: it is flushed), an app
on a temporary SQLite file, and Flask's test client. Counts what the app sends during
authenticated requests with MONITOR (commands, and the ones the script runs inside
Redis), and sizes the records with MEMORY USAGE. Usage (from the repository root):

    .venv/bin/python bench/session_cost.py [--redis redis://127.0.0.1:6379/9] [--sessions 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["OTPAUTH_ENV"] = "testing"


def monitored(url: str, action) -> list[dict]:  # noqa: ANN001
    """The commands sent to this database while ``action`` runs (ours, then Lua's)."""
    db = redis.Redis.from_url(url).connection_pool.connection_kwargs.get("db", 0)
    marker = "bench-session-cost-end"
    marker_client = redis.Redis.from_url(url)
    marker_client.ping()  # its connection (and SELECT) before the monitor starts
    with redis.Redis.from_url(url).monitor() as monitor:
        action()
        marker_client.echo(marker)
        seen = []
        for entry in monitor.listen():
            if marker in entry["command"]:
                return seen
            if int(entry["db"]) == db:
                seen.append(entry)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--sessions", type=int, default=1000)
    args = parser.parse_args()
    client = redis.Redis.from_url(args.redis)
    client.flushdb()

    from flask_migrate import upgrade

    from otpauth import create_app
    from otpauth.signin.models import Customer
    from tests.session_support import plant_session

    url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.sqlite")
    app = create_app({"DATABASE_URL": url, "REDIS_CLIENT": client, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        from otpauth.platform.extensions import db

        db.session.add(Customer(name="Bench", email="b@example.com", customer_type="Household"))
        db.session.commit()
    browser = app.test_client()
    browser.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0"
    plant_session(browser, app, 1)
    browser.get("/dashboard/")  # scripts loaded, connection open

    for path in ("/dashboard/", "/account/sessions/"):
        entries = monitored(args.redis, lambda p=path: browser.get(p))
        ours = [e["command"].split()[0] for e in entries if e.get("client_type") != "lua"]
        inside = [e["command"].split()[0] for e in entries if e.get("client_type") == "lua"]
        print(f"GET {path}: {len(ours)} command(s) from the app {ours}; inside Lua: {inside}")

    store = app.extensions["otpauth.sessions"]
    client.flushdb()
    for n in range(args.sessions):
        store.create(
            "customer",
            n % 100,
            ip="203.0.113.9",
            user_agent=browser.environ_base["HTTP_USER_AGENT"],
        )
    hashes = [k for k in client.scan_iter("sess:*") if not k.endswith(b":index")]
    indexes = [k for k in client.scan_iter("sess:*:index")]
    hash_bytes = sum(client.memory_usage(k, samples=0) for k in hashes)
    index_bytes = sum(client.memory_usage(k, samples=0) for k in indexes)
    print(
        f"{args.sessions} sessions of 100 users: hashes {hash_bytes / len(hashes):.0f} B each, "
        f"index {index_bytes / args.sessions:.0f} B per session, "
        f"total {(hash_bytes + index_bytes) / args.sessions:.0f} B per session"
    )
    client.flushdb()


if __name__ == "__main__":
    main()
