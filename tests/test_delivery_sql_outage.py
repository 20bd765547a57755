"""A queued job whose database connection dies during the recipient's look-up (PostgreSQL
restarted, its backends terminated): nothing was sent, so it is a temporary failure,
retried while the code lives, and audited when it gives up. Never dropped unsaid.

On PostgreSQL the look-up's own backend is really terminated (``pg_terminate_backend``);
on SQLite the driver's ``OperationalError`` is raised in its place. A connection that dies
after the look-up fails only the closing of the job's session: the worker goes on.
"""

from __future__ import annotations

import re

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from otpauth import audit
from otpauth.delivery import jobs, policy
from otpauth.platform.extensions import db
from tests.conftest import IN_CI, TEST_DATABASE_URL

pytest_plugins = ("tests.delivery_fixtures",)
pytestmark = pytest.mark.parametrize("backend", ["servers"], indirect=True)
CODE_RE = re.compile(r"\b(\d{6})\b")


@pytest.fixture
def settings(smtp_settings):
    # Retries without waiting, so a burst worker runs them all.
    return {**smtp_settings, "DELIVERY_MODE": "queue", "DELIVERY_RETRY_INTERVALS": (0, 0)}


def cut_off(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """The next ``times`` look-ups lose their database connection; the list counts tries."""
    real, tries = policy.recipient, []

    def lookup(job):  # noqa: ANN001, ANN202
        tries.append(1)
        if len(tries) > times:
            return real(job)
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        raise OperationalError("SELECT customers", {}, Exception("connection terminated"))

    monkeypatch.setattr(policy, "recipient", lookup)
    return tries


def outcomes(app) -> list[tuple[str, str | None]]:  # noqa: ANN001
    with app.app_context():
        events = audit.recent(limit=50)
    names = ("otp_sent", "otp_send_failed", "otp_send_skipped")
    return [(e.event, e.reason) for e in events if e.event in names]


def test_a_lookup_cut_off_by_the_database_is_retried_then_sent(
    app, run_worker, auth, customer, smtp_server, real_email, monkeypatch
):
    tries = cut_off(monkeypatch, times=1)
    auth.request()
    run_worker()
    assert len(tries) == 2  # the cut-off try, then the retry
    [received] = smtp_server.received
    assert received.rcpt_tos == ["test@example.com"]
    assert outcomes(app) == [("otp_sent", None)]
    code = CODE_RE.search(received.message.get_body(("plain",)).get_content())[1]
    assert auth.verify(code).headers["Location"] == "/dashboard/"


def test_a_database_down_for_every_try_is_audited_as_given_up(
    app, run_worker, auth, customer, smtp_server, real_email, monkeypatch
):
    tries = cut_off(monkeypatch, times=10)
    auth.request()
    run_worker()
    assert len(tries) == 3  # the first try and two retries
    assert smtp_server.received == []
    with app.app_context():
        [event] = audit.recent(event="otp_send_failed")
    assert (event.customer_id, event.reason) == (customer, "retries_exhausted")
    assert outcomes(app) == [("otp_send_failed", "retries_exhausted")]


def test_a_connection_gone_by_the_end_of_a_job_does_not_stop_the_worker(
    app, run_worker, auth, customer, smtp_server, real_email, sms, monkeypatch, database_url
):
    if not database_url.startswith("postgresql"):
        if IN_CI or TEST_DATABASE_URL:
            pytest.fail("this test needs the PostgreSQL backend")
        pytest.skip("TEST_DATABASE_URL is not set: a backend to terminate needs PostgreSQL")
    real, admin = jobs.deliver_job, database_url.replace("postgresql+psycopg", "postgresql")

    def deliver_then_lose_the_connection(job, next_retry_in=None):  # noqa: ANN001, ANN202
        outcome = real(job, next_retry_in)
        # The job's session is in a transaction (as after the look-up, in production, where
        # the audit rows go to the spool): its backend ends before the session is closed.
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        monkeypatch.setattr(jobs, "deliver_job", real)
        return outcome

    monkeypatch.setattr(jobs, "deliver_job", deliver_then_lose_the_connection)
    auth.request()
    auth.request("9876543210", "sms")
    assert run_worker() is True
    assert len(smtp_server.received) == 1  # sent; then its session's connection was gone
    assert len(sms) == 1  # the next job ran in the same burst
    assert outcomes(app) == [("otp_sent", None), ("otp_sent", None)]
