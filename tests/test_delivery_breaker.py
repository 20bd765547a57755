"""The channel breaker: failures in a row mark a channel unavailable to everyone, on Redis
(so every instance agrees), until DELIVERY_BREAKER_SECONDS have passed."""

from __future__ import annotations

import time

import pytest

from otpauth.delivery import DeliveryError, FailingSender
from tests.conftest import Auth

pytest_plugins = ("tests.delivery_fixtures",)
STRANGER = "nobody@example.com"


@pytest.fixture
def settings(smtp_settings):
    return {
        **smtp_settings,
        "OTP_RESEND_COOLDOWN_SECONDS": 0,
        "DELIVERY_BREAKER_FAILURES": 3,
        "DELIVERY_BREAKER_SECONDS": 1,
    }


def fresh(app) -> Auth:
    return Auth(app.test_client())


@pytest.mark.slow
def test_breaker_opens_for_everyone_and_closes_after_its_time(
    app, customer, smtp_server, real_email, redis_client, sms
):
    smtp_server.stop()
    for _ in range(3):  # three failed sends in a row
        assert fresh(app).request().status_code == 302
    assert redis_client.hexists("breaker:{email}", "open")
    assert 0 < redis_client.ttl("breaker:{email}") <= 1
    for contact in ("test@example.com", STRANGER):
        response = fresh(app).request(contact)
        body = response.get_data(as_text=True)
        assert response.status_code == 503
        assert "E-mail is unavailable right now" in body
        assert "by text message instead" in body  # the other channel is offered
    page = app.test_client().get("/otp/request/").get_data(as_text=True)
    assert "E-mail is unavailable right now" in page
    assert "Text messages are unavailable" not in page
    assert fresh(app).request("9876543210", "sms").status_code == 302  # SMS still works
    assert len(sms) == 1

    smtp_server.start()
    time.sleep(1.1)  # the breaker's time runs out (a real expiry: the one sleep here)
    assert not redis_client.exists("breaker:{email}")
    assert fresh(app).request().status_code == 302
    assert len(smtp_server.received) == 1
    assert "unavailable" not in app.test_client().get("/otp/request/").get_data(as_text=True)


def test_a_success_resets_the_count(app, customer, redis_client, outbox):
    senders = app.extensions["otpauth.delivery"].senders
    recording = senders["email"]
    senders["email"] = FailingSender(DeliveryError("test: down", temporary=True))
    fresh(app).request()
    fresh(app).request()
    assert int(redis_client.hget("breaker:{email}", "n")) == 2
    senders["email"] = recording
    fresh(app).request()
    assert not redis_client.exists("breaker:{email}")
    assert 0 < len(outbox)


def test_breaker_keys_carry_a_ttl(app, customer, redis_client):
    app.extensions["otpauth.delivery"].senders["sms"] = FailingSender()
    fresh(app).request("9876543210", "sms")
    assert 0 < redis_client.ttl("breaker:{sms}") <= 3600


def test_resend_while_open_answers_503_on_the_verify_page(app, customer, redis_client, outbox):
    auth = fresh(app)
    auth.request()
    redis_client.hset("breaker:{email}", "open", "1")
    redis_client.expire("breaker:{email}", 60)
    response = auth.resend()
    assert response.status_code == 503
    assert "E-mail is unavailable right now" in response.get_data(as_text=True)
