"""WhatsApp first, SMS fallback in queue mode (real Redis): the worker sends the WhatsApp
code, a failed report or the fallback timer (a job RQ's scheduler runs when due) brings
the SMS, and a stranger's timer runs the same way with nothing sent."""

from __future__ import annotations

import json
import re
import time

import pytest

from otpauth.delivery.queue import get_queue
from tests.security_support import events
from tests.whatsapp_support import (
    NOT_ON_WHATSAPP,
    PHONE,
    SETTINGS,
    post_report,
    report,
    sms_sent,
    whatsapp_sent,
)

pytest_plugins = ("tests.delivery_fixtures", "tests.whatsapp_fixtures")
pytestmark = pytest.mark.parametrize("backend", ["servers"], indirect=True)


@pytest.fixture
def settings():
    return {**SETTINGS, "DELIVERY_MODE": "queue", "DELIVERY_RETRY_INTERVALS": (0, 0)}


def move_due_timers(app) -> None:  # noqa: ANN001
    """What the worker's pulse does every second: RQ's scheduler moves due jobs to the queue."""
    from otpauth.delivery.pulse import Outage, Pulse
    from otpauth.delivery.worker import build_worker

    worker = build_worker(app)
    pulse = Pulse(worker.name, worker.queues, worker.connection, Outage())
    pulse.enqueue_due()
    pulse.scheduler.release_locks()


def fresh_code(posted) -> str:  # noqa: ANN001
    return re.match(r"(\d{6}) is your", posted.form["Body"]).group(1)


def test_the_worker_sends_whatsapp_then_a_failed_report_brings_sms(
    app, auth, customer, senders, run_worker
):
    auth.request("9876543210", "auto")
    run_worker()
    [posted] = whatsapp_sent(senders)
    code = json.loads(posted.form["ContentVariables"])["1"]
    with app.app_context():
        assert get_queue().scheduled_job_registry.count == 1  # the fallback timer
    form = report("SM" + "7" * 32, "failed", PHONE, NOT_ON_WHATSAPP)
    assert post_report(auth.client, posted.form["StatusCallback"], form).status_code == 204
    run_worker()
    [sms] = sms_sent(senders)
    assert [e.reason for e in events(app, event="otp_fallback")] == ["failed"]
    fresh = fresh_code(sms)
    if fresh != code:
        assert auth.verify(code).status_code == 400
    assert auth.verify(fresh).headers["Location"] == "/dashboard/"


def test_the_timer_job_falls_back_when_due(app, auth, customer, senders, run_worker):
    auth.request("9876543210", "whatsapp")
    run_worker()
    assert len(whatsapp_sent(senders)) == 1 and sms_sent(senders) == []
    time.sleep(1.2)  # WHATSAPP_FALLBACK_SECONDS: the timer is due
    move_due_timers(app)
    run_worker()  # runs the timer (it enqueues the SMS), then sends the SMS
    [sms] = sms_sent(senders)
    assert [e.reason for e in events(app, event="otp_fallback")] == ["timeout"]
    assert auth.verify(fresh_code(sms)).headers["Location"] == "/dashboard/"


def test_a_delivered_report_stops_the_timer(app, auth, customer, senders, run_worker):
    auth.request("9876543210", "whatsapp")
    run_worker()
    [posted] = whatsapp_sent(senders)
    form = report("SM" + "8" * 32, "delivered", PHONE)
    assert post_report(auth.client, posted.form["StatusCallback"], form).status_code == 204
    time.sleep(1.2)
    move_due_timers(app)
    run_worker()
    assert sms_sent(senders) == []
    assert events(app, event="otp_fallback") == []


def test_a_strangers_timer_runs_the_same_and_sends_nothing(app, auth, senders, run_worker):
    auth.request("9876500001", "whatsapp")
    run_worker()
    time.sleep(1.2)
    move_due_timers(app)
    run_worker()
    assert senders.posted == []
    [fallback] = events(app, event="otp_fallback")
    assert (fallback.reason, fallback.customer_id) == ("timeout", None)
