"""Shared set-up for the console benchmarks: a scratch database, an app, a staff session."""

from __future__ import annotations

import contextlib
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@contextlib.contextmanager
def scratch_database(kind: str, pg_url: str) -> Iterator[str]:
    """A migrated, empty database of the bench's own (PostgreSQL or SQLite), dropped after."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.sqlite"
            migrate(url)
            yield url
        return
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(pg_url)
    name = f"otpauth_bench_{uuid.uuid4().hex[:8]}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        migrate(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_app(url: str):  # noqa: ANN201
    """An app on ``url`` with the embedded Redis and no per-IP limits."""
    import fakeredis

    from otpauth import create_app

    return create_app(
        {"DATABASE_URL": url, "REDIS_CLIENT": fakeredis.FakeRedis(), "RATELIMIT_ENABLED": False}
    )


def migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = make_app(url)
    with app.app_context():
        upgrade()
        from otpauth.platform.extensions import db

        db.engine.dispose()
