"""A queued code that is no longer the live one (replaced by a resend, used, cleared by
``customers unlock``) is skipped at send time: audited ``otp_send_skipped``, never sent."""

from __future__ import annotations

import time

import pytest
from rq.job import Job

from otpauth.delivery import SendJob
from otpauth.delivery.policy import Outcome, deliver
from otpauth.delivery.queue import get_queue
from otpauth.delivery.sealing import unseal
from tests.security_support import EMAIL, events, tag_of

pytest_plugins = ("tests.delivery_fixtures",)


def skipped(app) -> list[tuple]:
    return [(e.customer_id, e.reason) for e in events(app, event="otp_send_skipped")]


def queued_codes(app) -> list[str]:
    """The codes of the jobs waiting in the queue (opened with the app's key)."""
    with app.app_context():
        queue = get_queue()
        jobs = [Job.fetch(i, connection=queue.connection) for i in queue.job_ids]
        return [unseal(app.config["SECRET_KEY"], job.args[0]).code for job in jobs]


@pytest.mark.parametrize("backend", ["servers"], indirect=True)
@pytest.mark.parametrize("settings", [{"DELIVERY_MODE": "queue", "OTP_RESEND_COOLDOWN_SECONDS": 0}])
class TestQueued:
    def test_superseded_by_a_resend(self, app, auth, customer, outbox, run_worker, settings):
        auth.request()
        auth.resend()
        first, second = queued_codes(app)
        run_worker()
        assert [m.text for m in outbox if first in m.text] == []
        assert len(outbox) == 1 and second in outbox[0].text
        assert skipped(app) == [(customer, "superseded")]

    def test_used_before_it_went_out(self, app, auth, customer, outbox, run_worker, settings):
        auth.request()
        [code] = queued_codes(app)
        assert auth.verify(code).headers["Location"] == "/dashboard/"
        run_worker()
        assert outbox == []
        assert skipped(app) == [(customer, "gone")]

    def test_cleared_by_unlock(self, app, auth, runner, customer, outbox, run_worker, settings):
        auth.request()
        result = runner.invoke(args=["customers", "unlock", "--email", EMAIL])
        assert result.exit_code == 0, result.output
        run_worker()
        assert outbox == []
        assert skipped(app) == [(customer, "gone")]

    def test_a_strangers_job_is_dropped_unaudited(self, app, auth, outbox, run_worker, settings):
        auth.request("nobody@example.com")
        with app.app_context():
            assert get_queue().count == 1  # queued like anyone's
        run_worker()
        assert outbox == []
        assert [e.event for e in events(app)] == ["otp_requested", "otp_queued"]


def test_policy_skips_a_stale_job_inline_too(app, customer, outbox):
    tag = tag_of(app, "email", EMAIL)
    store = app.extensions["otpauth.otp_store"]
    store.issue(tag, "h", "decoy", str(customer), "live-id")
    stale = SendJob("email", tag, "old-id", "123456", str(customer), time.time() + 60)
    live = SendJob("email", tag, "live-id", "654321", str(customer), time.time() + 60)
    with app.app_context():
        assert deliver(stale) is Outcome.SKIPPED
        assert deliver(live) is Outcome.SENT
    assert [m.text.count("654321") > 0 for m in outbox] == [True]
    assert skipped(app) == [(customer, "superseded")]


def test_expired_job_is_a_failure_with_reason_expired(app, customer, outbox):
    tag = tag_of(app, "email", EMAIL)
    app.extensions["otpauth.otp_store"].issue(tag, "h", "decoy", str(customer), "id")
    job = SendJob("email", tag, "id", "123456", str(customer), time.time() - 1)
    with app.app_context():
        assert deliver(job) is Outcome.FAILED
    assert outbox == []
    [failed] = events(app, event="otp_send_failed")
    assert failed.reason == "expired"
