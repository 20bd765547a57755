"""The login's statements on the autocommit engine: one round trip each, and a dropped
connection replaced rather than failing a login (see otpauth/autocommit.py)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tests.conftest import TEST_DATABASE_URL, Auth, code_in, require_real_redis

RETRIED = "a pooled connection had been closed by the server; a new one answered"


def _disconnect() -> OperationalError:
    error = Exception("server closed the connection")
    return OperationalError("SELECT 1", {}, error, connection_invalidated=True)


class Work:
    """A statement that fails as a disconnect ``failures`` times, then answers."""

    def __init__(self, failures: int, error=_disconnect) -> None:  # noqa: ANN001
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self, session) -> int:  # noqa: ANN001
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error()
        return session.scalar(text("SELECT 7"))


def test_a_dropped_connection_is_retried_once_on_a_new_one(app, caplog):
    from otpauth.platform import autocommit

    work = Work(failures=1)
    with app.app_context(), caplog.at_level(logging.WARNING, "otpauth.platform.autocommit"):
        assert autocommit.run(work, idempotent=True) == 7
    assert work.calls == 2
    assert [r.getMessage() for r in caplog.records].count(f"database: {RETRIED}") == 1


def test_a_second_disconnect_is_the_database_down(app, caplog):
    from otpauth.platform import autocommit

    work = Work(failures=2)
    with app.app_context(), pytest.raises(OperationalError), caplog.at_level(logging.WARNING):
        autocommit.run(work, idempotent=True)
    assert work.calls == 2
    assert RETRIED not in caplog.text  # the caller's 503 writes the one line


def test_other_database_errors_are_not_retried(app):
    from otpauth.platform import autocommit

    def refused() -> OperationalError:
        return OperationalError("SELECT 1", {}, Exception("permission denied"))

    work = Work(failures=1, error=refused)
    with app.app_context(), pytest.raises(OperationalError):
        autocommit.run(work, idempotent=True)
    assert work.calls == 1


def test_a_statement_not_declared_idempotent_is_not_rerun(app, caplog):
    from otpauth.platform import autocommit

    work = Work(failures=1)
    with app.app_context(), pytest.raises(OperationalError), caplog.at_level(logging.WARNING):
        autocommit.run(work, idempotent=False)
    assert work.calls == 1  # it may have committed: the caller's 503, not a second run
    assert RETRIED not in caplog.text


def test_a_scalar_is_retried_only_when_declared_idempotent(app, monkeypatch):
    from sqlalchemy.engine import Connection

    from otpauth.platform import autocommit

    calls = []

    def dropped(self, statement, params=None):  # noqa: ANN001, ANN202
        calls.append(statement)
        if len(calls) == 1:
            raise _disconnect()
        return 7

    monkeypatch.setattr(Connection, "scalar", dropped)
    with app.app_context():
        assert autocommit.scalar(text("SELECT 7"), {}, idempotent=True) == 7
        calls.clear()
        with pytest.raises(OperationalError):
            autocommit.scalar(text("SELECT 7"), {}, idempotent=False)
    assert len(calls) == 1


def test_the_engine_autocommits_and_goes_with_the_apps(app, customer):
    from otpauth.platform import autocommit
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    rename = text("UPDATE customers SET name = 'Asha R.' WHERE id = :cid")
    with app.app_context():
        autocommit.run(lambda session: session.execute(rename, {"cid": customer}), idempotent=True)
        assert db.session.get(Customer, customer).name == "Asha R."  # no COMMIT was needed
        assert autocommit.engine(app).pool.checkedin() == 1
        db.engine.dispose()
        assert autocommit.engine(app).pool.checkedin() == 0


class TestOnPostgreSQL:
    """What the wire shows: real Redis and PostgreSQL only (CI always has both)."""

    @pytest.fixture
    def backend(self) -> str:
        require_real_redis()
        if not TEST_DATABASE_URL:
            pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL run skipped")
        return "servers"

    @pytest.fixture
    def settings(self) -> dict:
        # Production's batched audit (the rows wait), and a second code at once.
        return {"AUDIT_FLUSH_SECONDS": 60, "OTP_RESEND_COOLDOWN_SECONDS": 0}

    @pytest.fixture
    def wire(self, app, tmp_path) -> Iterator[Wire]:  # noqa: ANN001
        wire = Wire(app, str(tmp_path / "libpq.trace"))
        yield wire
        wire.close()

    def test_each_step_of_a_login_is_one_round_trip(self, app, auth, customer, outbox, wire):
        login(auth, outbox)  # the pools now hold connections, which a checkout would ping
        again = Auth(app.test_client())
        with wire.round_trips() as requested:
            assert again.request().status_code == 302
        with wire.round_trips() as verified:
            assert again.verify(code_in(outbox[-1])).headers["Location"] == "/dashboard/"
        with wire.round_trips() as dashboard:
            assert "Asha Rao" in again.client.get("/dashboard/").get_data(as_text=True)
        # The dashboard: the user loader's customer, then the page's own sign-ins (issue 21).
        assert (requested, verified, dashboard) == ([1], [1], [2])

    def test_connections_the_server_dropped_do_not_fail_a_login(
        self, app, auth, customer, outbox, caplog
    ):
        login(auth, outbox)  # the pools now hold live connections
        assert _end_other_connections(app) >= 1
        again = Auth(app.test_client())
        with caplog.at_level(logging.WARNING, "otpauth.platform.autocommit"):
            assert again.request().status_code == 302
            assert again.verify(code_in(outbox[-1])).headers["Location"] == "/dashboard/"
        assert "Asha Rao" in again.client.get("/dashboard/").get_data(as_text=True)
        assert RETRIED in caplog.text


def login(auth: Auth, outbox) -> None:  # noqa: ANN001
    assert auth.request().status_code == 302
    assert auth.verify(code_in(outbox[-1])).headers["Location"] == "/dashboard/"


def _end_other_connections(app) -> int:  # noqa: ANN001
    """Have PostgreSQL end every other connection to the app's database, as a restart would."""
    import psycopg

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return row[0]


class Wire:
    """The exchanges with PostgreSQL of both engines' connections, from libpq's trace: each
    ends with the server's ReadyForQuery (a pre-ping, BEGIN, a statement, COMMIT...)."""

    def __init__(self, app, path: str) -> None:  # noqa: ANN001
        from otpauth.platform import autocommit
        from otpauth.platform.extensions import db

        self.out = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        self.path, self.connections = path, []
        with app.app_context():
            self.engines = [db.engine, autocommit.engine(app)]
        for engine in self.engines:  # from now on every connection is known, ...
            event.listen(engine, "connect", self._connected)
            engine.dispose()  # ... its pre-pings too: a new connection is not pinged

    def _connected(self, dbapi_connection, _record) -> None:  # noqa: ANN001
        self.connections.append(dbapi_connection)
        dbapi_connection.pgconn.trace(self.out)

    @contextmanager
    def round_trips(self) -> Iterator[list[int]]:
        self._untrace()
        start = os.path.getsize(self.path)
        for connection in self.connections:
            connection.pgconn.trace(self.out)
        found: list[int] = []
        yield found
        self._untrace()
        with open(self.path) as trace:
            trace.seek(start)
            found.append(sum("\tReadyForQuery\t" in line for line in trace))

    def _untrace(self) -> None:
        for connection in self.connections:
            connection.pgconn.untrace()  # and libpq writes out what it buffered

    def close(self) -> None:
        for engine in self.engines:
            event.remove(engine, "connect", self._connected)
        os.close(self.out)
