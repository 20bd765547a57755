"""SQLite (development, small sites): write-ahead logging, so a commit is not an fsync.

In the default rollback journal every commit syncs the file twice, and a reader's lock
makes a writer wait; in WAL mode readers and the one writer do not block each other, and
with ``synchronous=NORMAL`` a commit is durable at the next checkpoint (a power cut may
lose the last transactions, never corrupt the file). PostgreSQL is untouched.

WAL keeps committed pages in ``otpauth.sqlite-wal`` until a checkpoint, which SQLite runs
when the last connection closes. A process that exits with its pool still open (every
``flask`` command) left its data in that file, and a plain copy of ``otpauth.sqlite`` had
none of it: at exit each process checkpoints and closes its connections, so the database
file alone holds what was committed (while no other process is writing).
"""

from __future__ import annotations

import atexit
import logging
import os
import weakref
from typing import Any

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from . import autocommit
from .extensions import db

log = logging.getLogger(__name__)
# The file-backed SQLite engines of this process's apps, closed at its exit.
ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


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
        if not ENGINES:
            atexit.register(close_all)
        ENGINES.update((engine, autocommit.engine(app)))


def checkpoint(engine: Engine) -> None:
    """Copy the WAL into the database file and empty it, then close the pooled connections."""
    try:
        with engine.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    except SQLAlchemyError as exc:  # the exit goes on; the next start checkpoints
        log.warning("sqlite: no checkpoint at exit (%s)", type(exc).__name__)
    engine.dispose()


def close_all() -> None:
    """Checkpoint and close every SQLite engine of this process (at its exit)."""
    for engine in list(ENGINES):
        if os.path.exists(engine.url.database or ""):  # not a test's removed temporary file
            checkpoint(engine)
