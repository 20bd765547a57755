"""Benchmark: the console's overview page over 1,000,000 audit events.

Seeds ``--events`` auth_events spread over the last 30 days (PostgreSQL: one COPY; SQLite:
batched inserts) in a scratch database, runs VACUUM ANALYZE, then times ``GET /admin/`` for a
signed-in staff member ``--runs`` times. The first view counts the finished days and keeps them in
Redis (``otpauth.admin.stats_cache``); it is reported apart from the median of the others.
Usage: ``.venv/bin/python bench/stats_1m.py [--events 1000000] [--kind postgresql|sqlite]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from console import make_app, scratch_database
from sqlalchemy import insert, text

EVENTS = [
    ("otp_requested", 30),
    ("otp_sent", 28),
    ("otp_send_failed", 1),
    ("otp_verify_failed", 8),
    ("otp_locked", 1),
    ("otp_rate_limited", 2),
    ("login", 25),
    ("logout", 5),
]
CHANNELS = ["email", "sms", "app", None]


def rows(n: int):  # noqa: ANN201
    """``n`` events: times spread over 30 days, a realistic mix of events and channels."""
    rng = random.Random(11)
    now = datetime.now(UTC)
    names = [e for e, _ in EVENTS]
    weights = [w for _, w in EVENTS]
    for _ in range(n):
        at = now - timedelta(seconds=rng.randrange(30 * 86400))
        event = rng.choices(names, weights)[0]
        yield at, event, rng.choice(CHANNELS), f"10.0.{rng.randrange(256)}.{rng.randrange(256)}"


def seed(app, n: int, kind: str) -> None:  # noqa: ANN001
    from otpauth.platform.extensions import db
    from otpauth.signin.models import AuthEvent

    with app.app_context():
        if kind == "postgresql":
            raw = db.engine.raw_connection()
            try:
                with raw.cursor() as cur:
                    with cur.copy("COPY auth_events (at, event, channel, ip) FROM STDIN") as copy:
                        for row in rows(n):
                            copy.write_row(row)
                raw.commit()
            finally:
                raw.close()
        else:
            batch = []
            for at, event, channel, ip in rows(n):
                batch.append({"at": at, "event": event, "channel": channel, "ip": ip})
                if len(batch) == 50_000:
                    db.session.execute(insert(AuthEvent), batch)
                    batch = []
            if batch:
                db.session.execute(insert(AuthEvent), batch)
            db.session.commit()
        # What autovacuum does soon after a bulk load: statistics, and the visibility map
        # that lets the grouped queries read the index alone.
        vacuum = "VACUUM ANALYZE auth_events" if kind == "postgresql" else "ANALYZE"
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(vacuum))


def signed_in_client(app):  # noqa: ANN001, ANN201
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Staff

    with app.app_context():
        staff = Staff(email="bench@ops.example.com", name="Bench", role="support")
        db.session.add(staff)
        db.session.commit()
        sid = app.extensions["otpauth.sessions"].create("staff", staff.id, ip=None, user_agent=None)
        staff_id = staff.id
    client = app.test_client()
    with client.session_transaction() as session:
        session.update({"_user_id": str(staff_id), "_fresh": True, "_sid": sid})
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--kind", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with scratch_database(args.kind, args.pg) as url:
        app = make_app(url)
        started = time.perf_counter()
        seed(app, args.events, args.kind)
        print(f"seeded {args.events} events in {time.perf_counter() - started:.1f} s")
        client = signed_in_client(app)
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get("/admin/")
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
        cold, warm = times[0], times[1:]
        print(
            f"{args.kind}: GET /admin/ over {args.events} events: first view (counts the "
            f"finished days once) {cold * 1000:.0f} ms; then median "
            f"{statistics.median(warm) * 1000:.0f} ms, slowest {max(warm) * 1000:.0f} ms "
            f"({len(warm)} runs)"
        )
        with app.app_context():
            from otpauth.platform.extensions import db

            db.engine.dispose()


if __name__ == "__main__":
    main()
