"""Queue mode on the real Redis: the page does not wait on SMTP, the worker sends, retries
temporary failures with backoff, gives up on permanent ones, and audits what it gives up."""

from __future__ import annotations

import logging
import re
import time
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from rq.job import Job

from otpauth.delivery import SendJob
from otpauth.delivery.jobs import failure_count
from otpauth.delivery.queue import enqueue, get_queue
from otpauth.signin import audit

pytest_plugins = ("tests.delivery_fixtures",)
# Queue mode needs a Redis the worker can reach; the embedded one is refused (test_refusals).
pytestmark = pytest.mark.parametrize("backend", ["servers"], indirect=True)
CODE_RE = re.compile(r"\b(\d{6})\b")
FAIL_451 = "451 4.3.0 Try again later"


@pytest.fixture
def extra() -> dict:
    """More settings for one test (parametrize it)."""
    return {}


@pytest.fixture
def settings(smtp_settings, extra):
    # Retries without waiting, so a burst worker runs them all; backoff is tested apart.
    queue = {"DELIVERY_MODE": "queue", "DELIVERY_RETRY_INTERVALS": (0, 0)}
    return {**smtp_settings, **queue, **extra}


NO_COOLDOWN = pytest.mark.parametrize("extra", [{"OTP_RESEND_COOLDOWN_SECONDS": 0}])


def code_from(smtp_server) -> str:
    return CODE_RE.search(smtp_server.received[-1].message.get_body(("plain",)).get_content())[1]


def failures(app) -> list:
    with app.app_context():
        return audit.recent(event="otp_send_failed")


def test_page_answers_before_slow_smtp_and_worker_sends(
    app, run_worker, auth, customer, smtp_server, real_email
):
    smtp_server.handler.delay = 1.0
    started = time.perf_counter()
    response = auth.request()
    elapsed = time.perf_counter() - started
    assert response.headers["Location"] == "/otp/verify/"
    assert elapsed < 0.5, f"the request waited {elapsed:.2f}s on SMTP"
    assert smtp_server.received == []  # nothing was sent inside the request
    assert run_worker() is True
    [received] = smtp_server.received
    assert received.rcpt_tos == ["test@example.com"]
    assert auth.verify(code_from(smtp_server)).headers["Location"] == "/dashboard/"


@NO_COOLDOWN
def test_worker_reuses_one_smtp_connection(
    app, run_worker, auth, customer, smtp_server, real_email
):
    auth.request()
    run_worker()
    auth.resend()  # sent after the first (a resend queued before it would supersede it)
    run_worker()
    assert len(smtp_server.received) == 2
    assert smtp_server.received[0].peer == smtp_server.received[1].peer
    assert real_email.connections_opened == 1


def test_job_lives_no_longer_than_its_code_and_holds_no_clear_text(app, run_worker, redis_client):
    job = SendJob("email", "tag", "id1", "314159", "", time.time() + 120)
    with app.app_context():
        job_id = enqueue(job)
    key = f"rq:job:{job_id}".encode()
    assert 0 < redis_client.ttl(key) <= 120
    job = Job.fetch(job_id, connection=redis_client)
    assert job.ttl == 120 and job.failure_ttl == 120 and job.result_ttl == 0
    assert job.description == "otpauth: deliver email code"
    stored = b"".join(redis_client.hgetall(key).values()) + zlib.decompress(
        redis_client.hget(key, "data")
    )
    for secret in (b"314159", b"someone@example.com"):
        assert secret not in stored
    for other in redis_client.keys("*"):
        if redis_client.type(other) == b"string":
            assert b"314159" not in redis_client.get(other)
        assert 0 < redis_client.ttl(other) <= 120, other  # RQ's queue keys included


def test_temporary_failure_is_retried_then_sent(
    app, run_worker, auth, customer, smtp_server, real_email
):
    smtp_server.handler.rcpt_replies = [FAIL_451]
    auth.request()
    run_worker()
    assert smtp_server.handler.attempts == 2
    assert len(smtp_server.received) == 1
    assert failures(app) == []
    assert auth.verify(code_from(smtp_server)).headers["Location"] == "/dashboard/"


def test_backoff_schedules_the_retry_for_later(
    app, run_worker, auth, customer, smtp_server, real_email
):
    app.config["DELIVERY_RETRY_INTERVALS"] = (5, 15)
    smtp_server.handler.rcpt_replies = [FAIL_451]
    auth.request()
    before = datetime.now(UTC)
    run_worker()
    with app.app_context():
        registry = get_queue().scheduled_job_registry
        [job_id] = registry.get_job_ids()
        due = registry.get_scheduled_time(job_id)
    assert before + timedelta(seconds=4) <= due <= before + timedelta(seconds=7)
    assert smtp_server.received == [] and failures(app) == []


def test_retries_used_up_are_audited_once(app, run_worker, auth, customer, smtp_server, real_email):
    smtp_server.handler.rcpt_replies = [FAIL_451] * 5
    auth.request()
    run_worker()
    assert smtp_server.handler.attempts == 3  # the first try and two retries
    [event] = failures(app)
    assert (event.customer_id, event.channel, event.reason) == (
        customer,
        "email",
        "retries_exhausted",
    )
    with app.app_context():
        assert failure_count(datetime.now(UTC) - timedelta(minutes=1)) == 1
        assert get_queue().failed_job_registry.count == 1


def test_permanent_failure_is_not_retried_and_keeps_the_cooldown(
    app, run_worker, auth, customer, smtp_server, real_email
):
    smtp_server.handler.rcpt_replies = ["550 5.1.1 No such user"]
    auth.request()
    assert auth.resend().status_code == 429  # the cooldown runs while the job is queued
    run_worker()
    assert smtp_server.handler.attempts == 1
    assert [e.reason for e in failures(app)] == ["permanent"]
    # A give-up keeps the cooldown: a stranger's resend waits too, so this one must.
    assert auth.resend().status_code == 429


def test_no_retry_after_the_code_has_expired(
    app, run_worker, auth, customer, smtp_server, real_email
):
    app.config["DELIVERY_RETRY_INTERVALS"] = (600,)  # longer than the code's 300 s lifetime
    smtp_server.handler.rcpt_replies = [FAIL_451]
    auth.request()
    run_worker()
    assert smtp_server.handler.attempts == 1
    assert [e.reason for e in failures(app)] == ["expired"]
    with app.app_context():
        assert get_queue().scheduled_job_registry.count == 0


@NO_COOLDOWN
def test_the_code_appears_in_no_log_line(
    app, run_worker, auth, customer, smtp_server, real_email, caplog
):
    caplog.set_level(logging.DEBUG)
    smtp_server.handler.rcpt_replies = [FAIL_451]
    auth.request()
    run_worker()  # one temporary failure, then sent
    code = code_from(smtp_server)
    smtp_server.handler.rcpt_replies = ["550 5.1.1 No such user"]
    auth.resend()
    run_worker()  # failed for good
    # The app's and the libraries' records; aiosmtpd's ("mail.log") are the test server's.
    records = [r for r in caplog.records if not r.name.startswith("mail.log")]
    assert any(r.name == "otpauth.delivery.policy" for r in records), "the worker logged nothing"
    assert sum("failed for good" in r.getMessage() for r in records) == 1
    assert not any("Traceback" in r.getMessage() for r in records)  # a give-up: one line
    pattern = re.compile(rf"\b{code}\b")
    for record in records:
        assert not pattern.search(record.getMessage()), record.getMessage()
        assert "test@example.com" not in record.getMessage()
        assert not pattern.search(repr(getattr(record, "arguments", "")))


def test_a_crashing_sender_is_still_audited(app, run_worker, auth, customer):
    class Crashing:
        def send(self, message):
            raise RuntimeError("bug")

    app.extensions["otpauth.delivery"].senders["email"] = Crashing()
    auth.request()
    run_worker()
    [event] = failures(app)
    assert event.customer_id == customer
    with app.app_context():
        assert get_queue().failed_job_registry.count == 1


def test_a_queued_job_names_no_contact(app, auth, customer, monkeypatch):
    """Inline jobs carry the contact the request found; a queued one never does."""
    queued: list[SendJob] = []
    monkeypatch.setattr("otpauth.delivery.queue.enqueue", queued.append)
    auth.request()
    [job] = queued
    assert job.to is None and job.customer_id == str(customer)
