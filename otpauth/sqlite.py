"""SQLite (development, small sites): write-ahead logging, so a commit is not an fsync.

In the default rollback journal every commit syncs the file twice, and a reader's lock
makes a writer wait; in WAL mode readers and the one writer do not block each other, and
with ``synchronous=NORMAL`` a commit is durable at the next checkpoint (a power cut may
lose the last transactions, never corrupt the file). PostgreSQL is untouched.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event

from . import autocommit
from .extensions import db


def _pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> None:
    """Set the pragmas on every new connection of a file-backed SQLite database (both
    engines: the app's, and the autocommit one of the login's statements)."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        event.listen(engine, "connect", _pragmas)
        event.listen(autocommit.engine(app), "connect", _pragmas)
