"""The delivery state each process keeps for a second: breakers and the SMS count.

Production reads it once per DELIVERY_STATE_CACHE_SECONDS (1 s) per process; the other
tests run with 0 so each read sees what they just wrote. Here the cache is on: what it
saves (round trips), and how soon what changed reaches the pages and the sends.
"""

from __future__ import annotations

import pytest

from otpauth.delivery import GATES_KEY, DeliveryError, FailingSender
from tests.conftest import Auth
from tests.round_trips import round_trips

STATE_SECONDS = 30  # longer than any test here: nothing expires by itself meanwhile


@pytest.fixture
def settings():
    return {
        "DELIVERY_STATE_CACHE_SECONDS": STATE_SECONDS,
        "OTP_RESEND_COOLDOWN_SECONDS": 0,
        "DELIVERY_BREAKER_FAILURES": 2,
    }


def gates(app):  # noqa: ANN001, ANN201
    return app.extensions[GATES_KEY]


def touches_gates(write) -> bool:  # noqa: ANN001
    """Whether a packed Redis write names a breaker or the SMS budget."""
    data = b"".join(part if isinstance(part, bytes) else bytes(part) for part in write)
    return b"breaker:" in data or b"sms:{budget}" in data


def test_pages_and_sends_read_the_state_once_per_interval(app, customer, redis_client, outbox):
    Auth(app.test_client()).request()  # reads the state once
    with round_trips() as writes:
        assert app.test_client().get("/otp/request/").status_code == 200
        Auth(app.test_client()).request()
    assert writes and not [w for w in writes if touches_gates(w)]
    assert len(outbox) == 2  # the success wrote nothing: no failure had been counted


def test_a_breaker_opened_elsewhere_counts_from_the_next_read(app, customer, redis_client):
    assert app.test_client().get("/otp/request/").status_code == 200  # closed, remembered
    redis_client.hset("breaker:{email}", "open", "1")  # another instance opened it
    redis_client.expire("breaker:{email}", 60)
    assert Auth(app.test_client()).request().status_code == 302  # within the interval
    gates(app)._state = None  # the interval is over
    response = Auth(app.test_client()).request()
    assert response.status_code == 503
    assert "E-mail is unavailable right now" in response.get_data(as_text=True)


def test_failures_here_count_at_once_and_a_success_then_resets(app, customer, redis_client, outbox):
    senders = app.extensions["otpauth.delivery"].senders
    recording = senders["email"]
    senders["email"] = FailingSender(DeliveryError("test: down", temporary=True))
    Auth(app.test_client()).request()
    assert int(redis_client.hget("breaker:{email}", "n")) == 1
    senders["email"] = recording
    Auth(app.test_client()).request()  # the failure cleared the cache: this one resets
    assert not redis_client.exists("breaker:{email}")
    senders["email"] = FailingSender(DeliveryError("test: down", temporary=True))
    Auth(app.test_client()).request()
    Auth(app.test_client()).request()  # two in a row: open, for this process at once
    assert redis_client.hexists("breaker:{email}", "open")
    assert Auth(app.test_client()).request().status_code == 503
