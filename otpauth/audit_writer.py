"""Writes audit rows to SQL: one multi-row INSERT (Core, no ORM flush) per batch.

With ``AUDIT_FLUSH_SECONDS`` > 0 (production and development) the rows of every request
are handed to a per-process buffer that a background thread writes at most that many
seconds later (sooner when ``MAX_BATCH`` rows wait), so a login costs a fraction of a
statement for its audit instead of two transactions; what is still buffered when the
process exits normally is written then. With 0 (the tests) each request's rows are
written at its end, in its own session. A failed write is logged, never raised: the
audit must not break a login.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import weakref
from typing import Any

from flask import Flask
from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .models import AuthEvent

log = logging.getLogger("otpauth.audit")
MAX_BATCH = 500  # rows per batch (SQLAlchemy splits them under each driver's limit too)
INSERT = insert(AuthEvent)


class AuditWriter:
    """The rows of one app: written at once, or buffered and written by a flusher thread."""

    instances: weakref.WeakSet[AuditWriter] = weakref.WeakSet()

    @classmethod
    def flush_all(cls) -> None:
        """Write every writer's buffer now (the tests, between two tests)."""
        for writer in list(cls.instances):
            writer.flush()

    def __init__(self, app: Flask, interval: float) -> None:
        self.app, self.interval = app, interval
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()  # guards _rows
        self._writing = threading.Lock()  # one batch at a time (flusher and exit)
        self._wake = threading.Event()
        self._pid = 0  # the process whose flusher thread runs (a fork has none)
        AuditWriter.instances.add(self)

    def add(self, rows: list[dict[str, Any]]) -> None:
        """Write ``rows`` now (interval 0, in the caller's session) or buffer them."""
        if self.interval <= 0:
            self.write(rows, session=True)
            return
        with self._lock:
            self._rows.extend(rows)
            full = len(self._rows) >= MAX_BATCH
            if self._pid != os.getpid():
                self._start()
        if full:
            self._wake.set()

    def _start(self) -> None:
        self._pid = os.getpid()
        thread = threading.Thread(target=self._run, name="otpauth-audit", daemon=True)
        thread.start()
        atexit.register(self.flush)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        """Write what is buffered (the flusher's loop, and once more at exit)."""
        with self._writing:
            with self._lock:
                rows, self._rows = self._rows, []
            for start in range(0, len(rows), MAX_BATCH):
                with self.app.app_context():
                    self.write(rows[start : start + MAX_BATCH], session=False)

    def write(self, rows: list[dict[str, Any]], *, session: bool) -> None:
        """One INSERT of ``rows``: in the request's session, or in a transaction of its own.

        Passed as parameters of one cached statement (SQLAlchemy sends them as a multi-row
        INSERT, "insertmanyvalues"): ``insert().values(rows)`` compiled a new statement
        for every batch, ~1.6 ms of CPU per login's rows.
        """
        try:
            if session:
                db.session.execute(INSERT, rows)
                db.session.commit()
            else:
                with db.engine.begin() as connection:
                    connection.execute(INSERT, rows)
        except SQLAlchemyError as exc:
            if session:
                db.session.rollback()
            log.error("audit: could not write %d event(s): %s", len(rows), type(exc).__name__)
