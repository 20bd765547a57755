"""The delivery ledger: every issued code is sent or audited as not sent, whatever died.

A hand-off (``otp_queued``) and its outcome share a ``delivery_id``; the sweep audits a
customer's hand-off with no outcome past the code's lifetime as ``lost``.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import redis

from otpauth.delivery import SendJob
from otpauth.delivery.ledger import LOCK_KEY, Sweeper, elected, sweep
from otpauth.delivery.policy import Outcome, deliver
from otpauth.delivery.pulse import QuietOutages
from otpauth.platform.extensions import db
from otpauth.signin import audit, customers
from otpauth.signin.models import Customer, utcnow

pytest_plugins = ("tests.delivery_fixtures",)


def later(app) -> object:  # noqa: ANN001
    """A moment just past the code's lifetime and the grace: the sweep's verdict is due."""
    c = app.config
    return utcnow() + timedelta(seconds=c["OTP_TTL_SECONDS"] + c["DELIVERY_LOST_GRACE_SECONDS"] + 1)


def events(app, event: str) -> list:  # noqa: ANN001
    with app.app_context():
        return audit.recent(event=event)


def swept(app, now=None) -> int:  # noqa: ANN001
    with app.app_context():
        return sweep(now or later(app))


def test_a_sent_code_and_its_hand_off_share_an_id(app, auth, customer, outbox):
    auth.request()
    [queued] = events(app, "otp_queued")
    [sent] = events(app, "otp_sent")
    assert queued.delivery_id and len(queued.delivery_id) == 16
    assert sent.delivery_id == queued.delivery_id
    assert swept(app) == 0  # answered: nothing is lost


def test_a_job_lost_with_its_process_is_audited_lost_once(app, auth, customer, monkeypatch):
    """Inline mode: the gunicorn worker holding the job in its send pool was killed."""
    monkeypatch.setattr(app.extensions["otpauth.delivery"].pool, "submit", lambda job: None)
    auth.request()
    auth.request("nobody@example.com")  # a stranger's hand-off expects no outcome
    assert swept(app, utcnow()) == 0  # not before the code's lifetime and the grace
    assert swept(app) == 1
    [queued] = [e for e in events(app, "otp_queued") if e.customer_id]
    [lost] = events(app, "otp_send_failed")
    assert (lost.reason, lost.delivery_id, lost.customer_id) == (
        "lost",
        queued.delivery_id,
        customer,
    )
    assert (lost.channel, lost.contact_hash) == ("email", queued.contact_hash)
    assert swept(app) == 0  # audited once


def test_a_customer_gone_before_the_send_is_skipped_not_lost(app, auth, customer, monkeypatch):
    """A queued job (looked up at send time) for a customer deactivated meanwhile."""
    held: list[SendJob] = []
    monkeypatch.setattr(app.extensions["otpauth.delivery"].pool, "submit", held.append)
    auth.request()
    [job] = held
    with app.app_context():
        customers.deactivate(db.session.get(Customer, customer))
        assert deliver(replace(job, to=None)) is Outcome.NO_RECIPIENT
    [skipped] = events(app, "otp_send_skipped")
    assert (skipped.reason, skipped.delivery_id) == ("no_recipient", job.code_id)
    assert swept(app) == 0


def test_one_sweeper_per_period(app, redis_client):
    with app.app_context():
        assert elected(redis_client, 15) is True
        assert elected(redis_client, 15) is False  # another process, the same period
    assert 0 < redis_client.ttl(LOCK_KEY) <= 15  # the period ends on its own
    assert Sweeper(app, 15).run_once() == 0  # not elected: no sweep, no error


def test_rq_lines_about_a_lost_redis_are_left_to_the_outage_line():
    quiet = QuietOutages()

    def record(msg: str, error: BaseException | None = None) -> logging.LogRecord:
        info = (type(error), error, None) if error else None
        return logging.LogRecord("rq.worker", logging.ERROR, __file__, 1, msg, (), info)

    retrying = "Worker %s: could not connect to Redis instance: %s retrying in %d seconds..."
    assert not quiet.filter(record(retrying))
    unhandled = "Worker %s: found an unhandled exception, quitting..."
    assert not quiet.filter(record(unhandled, redis.ConnectionError()))
    assert quiet.filter(record(unhandled, ValueError()))  # a bug keeps its traceback
    assert quiet.filter(record("Worker %s: stopping on request"))
