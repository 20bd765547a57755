"""The login's statements, each alone on an autocommit connection: one round trip each.

Through the app's ORM session a statement on PostgreSQL costs four round trips: the
pool's pre-ping, BEGIN, the statement, and COMMIT or ROLLBACK. The login's three
statements (who the contact is; check, stamp and load the customer; the customer with
their sign-ins) are each one statement, atomic on its own, so they run on a second engine
in AUTOCOMMIT: the driver sends no BEGIN, a returned connection needs no ROLLBACK, and the
statement is the only round trip.

The pre-ping is replaced by one retry, of statements declared idempotent only
(``idempotent=True``: running it twice leaves the same rows and answers the same). A
pooled connection the server dropped (a restart, a failover, an idle timeout) fails its
statement as a disconnect; SQLAlchemy then invalidates it and every connection pooled
before it, and an idempotent statement runs again on a new one. Any other statement fails
(the first run may or may not have committed): the caller's 503, as for a second failure,
which is the database being down.

The engine has the app engine's URL and options, and is disposed of with it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import SingletonThreadPool, StaticPool
from sqlalchemy.sql import Executable

from .extensions import db

ENGINE_KEY, SESSIONS_KEY = "otpauth.autocommit_engine", "otpauth.autocommit"
log = logging.getLogger(__name__)
T = TypeVar("T")


def init_app(app: Flask) -> None:
    """Build the autocommit engine beside the app's and keep a session factory for it."""
    with app.app_context():
        engine = db.engine
    if isinstance(engine.pool, StaticPool | SingletonThreadPool):
        # An in-memory SQLite database lives in its one connection: share it.
        single = engine.execution_options(isolation_level="AUTOCOMMIT")
    else:
        options = {**app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}), "pool_pre_ping": False}
        single = create_engine(engine.url, isolation_level="AUTOCOMMIT", **options)
        event.listen(engine, "engine_disposed", lambda _engine: single.dispose())
    app.extensions[ENGINE_KEY] = single
    app.extensions[SESSIONS_KEY] = sessionmaker(single, expire_on_commit=False)


def engine(app: Flask) -> Engine:
    """The app's autocommit engine."""
    return app.extensions[ENGINE_KEY]


def run(work: Callable[[Session], T], *, idempotent: bool) -> T:
    """``work``'s one statement on an autocommit ORM session (for entities): what it returns
    is detached, with its columns loaded. Retried after a disconnect if ``idempotent``."""
    sessions = current_app.extensions[SESSIONS_KEY]

    def attempt() -> T:
        with sessions() as session:
            return work(session)

    return _twice(attempt) if idempotent else attempt()


def scalar(statement: Executable, params: dict[str, Any], *, idempotent: bool) -> Any:
    """The first column of ``statement``'s first row (None: no row), without the ORM session
    (a plain value needs none: ~80 µs less). Retried after a disconnect if ``idempotent``."""

    def attempt() -> Any:
        with engine(current_app).connect() as connection:
            return connection.scalar(statement, params)

    return _twice(attempt) if idempotent else attempt()


def rows(statement: Executable, params: dict[str, Any], *, idempotent: bool) -> list[Any]:
    """Every row of ``statement`` (plain columns), without the ORM session. Retried after a
    disconnect if ``idempotent``."""

    def attempt() -> list[Any]:
        with engine(current_app).connect() as connection:
            return list(connection.execute(statement, params))

    return _twice(attempt) if idempotent else attempt()


def _twice(attempt: Callable[[], T]) -> T:
    """``attempt``; again on a new connection if the server had dropped the pooled one."""
    try:
        return attempt()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
    answer = attempt()  # fails again: the database is down (the caller's one log line)
    log.warning("database: a pooled connection had been closed by the server; a new one answered")
    return answer
