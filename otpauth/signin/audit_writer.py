"""Writes audit rows to SQL: one multi-row INSERT (Core, no ORM flush) per batch.

With ``AUDIT_FLUSH_SECONDS`` > 0 (production and development) a request's rows are
appended to this process's spool file (``audit_spool``: one system call, and a SIGKILL
no longer loses them) and a background thread copies the spool to SQL at most that many
seconds later (sooner when ``MAX_BATCH`` rows wait), marking each batch done only after
its commit: a login costs a fraction of a statement for its audit instead of two
transactions. The same thread adopts the spool files of dead processes every
``ADOPT_SECONDS`` (and at start). While the database is down or refuses the statement
the rows stay in the spool: one log line when that starts, one when it ends.

With 0 (the tests) each request's rows are written at its end, in its own session, and
a failed write is logged, never raised: the audit must not break a login.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

from ..platform.extensions import db
from .audit_spool import SpoolFile, dead_files
from .models import AuthEvent

log = logging.getLogger("otpauth.audit")
MAX_BATCH = 500  # rows per batch (SQLAlchemy splits them under each driver's limit too)
ADOPT_SECONDS = 10.0  # how often a process looks for the spool files of dead ones
ROTATE_BYTES = 4 << 20  # a spool this far written is replaced by a new file
INSERT = insert(AuthEvent)
KEY = ("event", "customer_id", "contact_hash", "staff_id", "reason")  # with ``at``: one event


class AuditWriter:
    """The rows of one app: written at once, or spooled and written by a writer thread."""

    instances: weakref.WeakSet[AuditWriter] = weakref.WeakSet()

    @classmethod
    def flush_all(cls) -> None:
        """Write every writer's spool now (the tests, between two tests)."""
        for writer in list(cls.instances):
            writer.flush()

    def __init__(self, app: Flask, interval: float, spool_dir: str) -> None:
        self.app, self.interval, self.spool_dir = app, interval, spool_dir
        self.spool: SpoolFile | None = None
        self._retired: list[SpoolFile] = []  # replaced by a new file, not all written yet
        self._waiting = 0  # rows appended since the last batch (wakes the thread early)
        self._lock = threading.Lock()  # guards spool and _waiting
        self._writing = threading.Lock()  # one batch at a time (thread, exit, tests)
        self._wake = threading.Event()
        self._pid = 0  # the process whose writer thread runs (a fork has none)
        self._down_since: float | None = None  # the database refused the last batch
        self._unspooled = False  # the spool directory failed (said once)
        AuditWriter.instances.add(self)

    def add(self, rows: list[dict[str, Any]]) -> None:
        """Write ``rows`` now (interval 0, in the caller's session) or spool them."""
        if self.interval <= 0:
            self.write(rows, session=True)
            return
        try:
            with self._lock:
                if self._pid != os.getpid():
                    self._start()
                self.spool.append(rows)
                self._waiting += len(rows)
                full = self._waiting >= MAX_BATCH
        except OSError as exc:  # no spool (a full disk, a read-only directory): SQL at once
            if not self._unspooled:
                log.error("audit: cannot spool to %s (%s); writing directly", self.spool_dir, exc)
            self._unspooled = True
            self.write(rows, session=True)
            return
        if full:
            self._wake.set()

    def _start(self) -> None:
        """This process's spool file and writer thread (again in a forked child)."""
        self.spool = SpoolFile.create(self.spool_dir)
        self._pid = os.getpid()
        thread = threading.Thread(target=self._run, name="otpauth-audit", daemon=True)
        thread.start()
        atexit.register(self.close)

    def _run(self) -> None:
        adopted_at = 0.0
        while True:
            try:
                if time.monotonic() - adopted_at >= ADOPT_SECONDS:
                    self.adopt()
                    adopted_at = time.monotonic()
                self._wake.wait(self.interval)
                self._wake.clear()
                self.flush()
            except (OSError, SQLAlchemyError) as exc:  # the spool stays; the next turn retries
                log.error("audit: the writer's turn failed (%s)", type(exc).__name__)

    def flush(self) -> None:
        """Copy this process's spool to SQL (the thread's loop, the exit, the tests)."""
        with self._writing:
            if self.spool is None or self._pid != os.getpid():
                return
            with self._lock:
                self._waiting = 0
            self.drain(self.spool, check_first=False)
            if self.spool.done >= ROTATE_BYTES:
                with self._lock:  # no append between the swap and the old file's last read
                    self._retired.append(self.spool)
                    self.spool = SpoolFile.create(self.spool_dir)
            while self._retired and self.drain(self._retired[0], check_first=False):
                self._retired.pop(0).remove()

    def adopt(self) -> int:
        """Write and delete the spool files of dead processes; how many were finished."""
        finished = 0
        own = self.spool.path if self.spool is not None else None
        for path in dead_files(self.spool_dir, own):
            spool = SpoolFile.adopt(path)
            if spool is None:
                continue
            with self._writing:
                done = self.drain(spool, check_first=True)
            if done:
                log.info("audit: wrote the spool of a stopped process (%s)", path)
                spool.remove()
                finished += 1
            else:
                spool.close()
        return finished

    def drain(self, spool: SpoolFile, *, check_first: bool) -> bool:
        """Write ``spool`` to SQL batch by batch; False if the database refused one.

        ``check_first``: the spool of a dead process, whose first batch may have been
        committed just before it died (its header not yet moved): rows already in SQL
        are left out.
        """
        while True:
            chunk = spool.read(MAX_BATCH)
            if chunk.end == spool.done:
                return True
            rows = chunk.rows
            if check_first and rows:
                try:
                    with self.app.app_context():
                        rows = unwritten(rows)
                except SQLAlchemyError:
                    return False  # the database is down: the next turn retries
                check_first = False
            if rows and not self.insert(rows):
                return False
            spool.mark(chunk.end)

    def insert(self, rows: list[dict[str, Any]]) -> bool:
        """One transaction of ``rows``; False (and one line per outage) if it failed."""
        try:
            with self.app.app_context(), db.engine.begin() as connection:
                connection.execute(INSERT, rows)
        except SQLAlchemyError as exc:
            if self._down_since is None:
                self._down_since = time.monotonic()
                log.error(
                    "audit: could not write %d event(s): %s; they wait in the spool (%s)",
                    len(rows),
                    type(exc).__name__,
                    self.spool_dir,
                )
            return False
        if self._down_since is not None:
            seconds = time.monotonic() - self._down_since
            log.warning("audit: writing again after %.0f s; the spooled events are in", seconds)
            self._down_since = None
        return True

    def close(self) -> None:
        """At exit: write the spool, and delete it if all of it is in SQL."""
        if self.spool is None or self._pid != os.getpid():
            return
        self.flush()
        with self._writing, self._lock:
            if self.spool.done == self.spool.size():
                self.spool.remove()
                self.spool, self._pid = None, 0

    def forget(self) -> None:
        """In a forked child: the parent's spool file is the parent's (its lock too)."""
        if self.spool is not None:
            self.spool.close()
            self.spool, self._pid = None, 0

    def write(self, rows: list[dict[str, Any]], *, session: bool) -> None:
        """One INSERT of ``rows`` in the request's session (interval 0).

        Passed as parameters of one cached statement (SQLAlchemy sends them as a multi-row
        INSERT, "insertmanyvalues"): ``insert().values(rows)`` compiled a new statement
        for every batch, ~1.6 ms of CPU per login's rows.
        """
        try:
            db.session.execute(INSERT, rows)
            db.session.commit()
        except SQLAlchemyError as exc:
            db.session.rollback()
            log.error("audit: could not write %d event(s): %s", len(rows), type(exc).__name__)


def _utc(moment: datetime) -> datetime:
    """``moment`` as a naive UTC time (SQLite returns naive times, PostgreSQL aware ones)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def unwritten(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` less those already in SQL (same time to the microsecond, same event)."""
    times = [row["at"] for row in rows]
    columns = [AuthEvent.at, *(getattr(AuthEvent, name) for name in KEY)]
    query = select(*columns).where(AuthEvent.at.between(min(times), max(times)))
    with db.engine.connect() as connection:
        present = {(_utc(at), *rest) for at, *rest in connection.execute(query)}
    return [r for r in rows if (_utc(r["at"]), *(r[k] for k in KEY)) not in present]


def _forget_in_child() -> None:
    for writer in list(AuditWriter.instances):
        writer.forget()


os.register_at_fork(after_in_child=_forget_in_child)
