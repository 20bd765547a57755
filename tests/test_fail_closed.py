"""Fail closed: Redis, the database or a sender down never logs anyone in or shows a traceback."""

from __future__ import annotations

import pytest

from otpauth.delivery import DeliveryError, FailingSender
from tests.security_support import (
    EMAIL,
    add_customer,
    csrf_token,
    events,
    set_pending,
    tag_of,
)
from tests.session_support import plant_session

REDIS_DOWN = {"REDIS_URL": "redis://127.0.0.1:1/0"}
DB_DOWN = "postgresql+psycopg://u@127.0.0.1:1/x?connect_timeout=1"


def assert_unavailable(response, signed_in: bool = False) -> None:
    """A 503 page of ours: says so, tells when to retry, shows no traceback. A sign-in is
    told that nobody was signed in; a customer already signed in is not (issue 24)."""
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "temporarily unavailable" in page
    assert ("Nobody has been signed in" in page) is not signed_in
    assert response.headers["Retry-After"].isdigit()
    assert "Traceback" not in page and "Error" not in page


def logged_in(client) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


@pytest.mark.parametrize("settings", [REDIS_DOWN, {**REDIS_DOWN, "RATELIMIT_ENABLED": True}])
def test_redis_down_request_answers_503(app, client, customer, outbox, settings):
    token = csrf_token(client)
    response = client.post(
        "/otp/request/", data={"channel": "email", "contact": EMAIL, "csrf_token": token}
    )
    assert_unavailable(response)
    assert outbox == []


@pytest.mark.parametrize("settings", [REDIS_DOWN, {**REDIS_DOWN, "RATELIMIT_ENABLED": True}])
@pytest.mark.parametrize("path", ["/otp/verify/", "/otp/resend/"])
def test_redis_down_verify_and_resend_answer_503(app, client, customer, outbox, settings, path):
    token = csrf_token(client)
    set_pending(client, app)
    assert_unavailable(client.post(path, data={"code": "123456", "csrf_token": token}))
    assert not logged_in(client)
    assert client.get("/dashboard/").status_code == 302
    assert outbox == []


@pytest.fixture
def db_down_app(redis_client):
    """An app whose database refuses connections (its Redis works)."""
    from otpauth import create_app
    from otpauth.delivery import RecordingSender

    app = create_app({"DATABASE_URL": DB_DOWN, "REDIS_CLIENT": redis_client})
    app.extensions["otpauth.delivery"].senders = {"email": RecordingSender()}
    return app


def test_database_down_request_answers_503(db_down_app):
    client = db_down_app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/otp/request/", data={"channel": "email", "contact": EMAIL, "csrf_token": token}
    )
    assert_unavailable(response)


def test_database_down_verify_with_right_code_logs_nobody_in(db_down_app):
    client = db_down_app.test_client()
    token = csrf_token(client)
    set_pending(client, db_down_app)
    with db_down_app.app_context():  # a live code for customer 1, as a request would leave
        hasher, store = (db_down_app.extensions[k] for k in ("otpauth.hasher", "otpauth.otp_store"))
        tag = tag_of(db_down_app, "email", EMAIL)
        store.issue(tag, hasher.code(tag, "123456"), "x", "1")
    assert_unavailable(client.post("/otp/verify/", data={"code": "123456", "csrf_token": token}))
    assert not logged_in(client)


def test_database_down_dashboard_answers_503(db_down_app):
    client = db_down_app.test_client()
    plant_session(client, db_down_app, 1)  # a live session: the loader reaches the database
    assert_unavailable(client.get("/dashboard/"), signed_in=True)


def _down(app, channel: str) -> FailingSender:
    sender = FailingSender(DeliveryError("test: connection refused", temporary=True))
    app.extensions["otpauth.delivery"].senders[channel] = sender
    return sender


STRANGER = {"email": "stranger@example.com", "sms": "9876543211"}


@pytest.mark.parametrize(("channel", "contact"), [("email", EMAIL), ("sms", "9876543210")])
def test_sender_down_answers_as_for_a_stranger_audits_and_keeps_cooldown(
    app, auth, customer, redis_client, channel, contact
):
    """A failed send must not tell a customer from a stranger: same redirect, same wait."""
    sender = _down(app, channel)
    response = auth.request(contact, channel)
    stranger = auth.request(STRANGER[channel], channel)
    assert (response.status_code, response.headers["Location"]) == (302, "/otp/verify/")
    assert (stranger.status_code, stranger.headers["Location"]) == (302, "/otp/verify/")
    assert sender.attempts == 1  # the stranger's job found no recipient
    failed = events(app, event="otp_send_failed")
    assert [(e.customer_id, e.channel, e.reason) for e in failed] == [
        (customer, channel, "retries_exhausted")
    ]
    # A give-up keeps the cooldown: asking again waits, exactly as a stranger does.
    assert redis_client.exists(f"otp:{{{failed[0].contact_hash}}}:cool")
    again, stranger_again = auth.request(contact, channel), auth.request(STRANGER[channel], channel)
    assert again.status_code == stranger_again.status_code == 429
    assert "Please wait" in again.get_data(as_text=True)


def test_sender_down_on_resend_answers_as_usual_and_keeps_cooldown(
    app, auth, customer, outbox, redis_client
):
    auth.request()
    redis_client.delete(f"otp:{{{tag_of(app, 'email', EMAIL)}}}:cool")  # the minute has passed
    _down(app, "email")
    response = auth.resend()
    assert response.headers["Location"] == "/otp/verify/"
    assert redis_client.exists(f"otp:{{{tag_of(app, 'email', EMAIL)}}}:cool")
    assert [e.event for e in events(app)][-1] == "otp_send_failed"


def test_permanent_send_failure_is_audited_as_permanent(app, auth, customer):
    app.extensions["otpauth.delivery"].senders["sms"] = FailingSender(
        DeliveryError("Twilio refused the number", temporary=False)
    )
    response = auth.request("9876543210", "sms")
    assert response.headers["Location"] == "/otp/verify/"
    [failed] = events(app, event="otp_send_failed")
    assert failed.reason == "permanent"


@pytest.mark.parametrize("settings", [{"PROPAGATE_EXCEPTIONS": False}])
def test_unexpected_error_shows_our_page_not_a_traceback(app, client, settings, caplog):
    def boom() -> str:
        raise KeyError("test@example.com")  # an exception whose message holds a contact

    app.add_url_rule("/boom", view_func=boom)
    response = client.get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "Something went wrong" in page
    assert "Traceback" not in page and "KeyError" not in page
    assert "unexpected error during GET /boom" in caplog.text and "boom (" in caplog.text
    assert "test@example.com" not in caplog.text


def test_inactive_customer_cannot_log_in_even_with_a_valid_code(app, client, redis_client):
    cid = add_customer(app, email="off@example.com", active=False)
    token = csrf_token(client)
    set_pending(client, app, contact="off@example.com")
    with app.app_context():
        hasher, store = (app.extensions[k] for k in ("otpauth.hasher", "otpauth.otp_store"))
        tag = tag_of(app, "email", "off@example.com")
        store.issue(tag, hasher.code(tag, "123456"), "x", str(cid))
    response = client.post("/otp/verify/", data={"code": "123456", "csrf_token": token})
    assert "OTP has expired" in response.get_data(as_text=True)
    assert not logged_in(client)


@pytest.mark.parametrize("args", [["audit", "tail"], ["audit", "tail", "--customer", "7"]])
def test_database_down_cli_says_so_in_one_line(db_down_app, args):
    result = db_down_app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1
    assert result.output.startswith("Error: database error (OperationalError)")
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
