"""Outages told once and truly (issue 24): the breaker's line appears once on the request
page, and a signed-in customer caught by a Redis outage is not told "Nobody has been
signed in." (a visitor signing in still is: tests/test_fail_closed.py)."""

from __future__ import annotations

import pytest

from tests.conftest import Auth, csrf_token

REDIS_DOWN = {"REDIS_URL": "redis://127.0.0.1:1/0"}
SID = "customer:1:" + "a" * 32  # a session id of the right shape (Redis is down anyway)


def open_breaker(redis_client, channel: str) -> None:
    redis_client.hset(f"breaker:{{{channel}}}", "open", "1")
    redis_client.expire(f"breaker:{{{channel}}}", 60)


@pytest.mark.parametrize(
    ("channel", "contact", "line"),
    [
        ("email", "test@example.com", "E-mail is unavailable right now"),
        ("sms", "9876543210", "Text messages are unavailable right now"),
    ],
)
def test_the_breaker_line_appears_once_on_the_request_page(
    app, customer, redis_client, channel, contact, line
):
    open_breaker(redis_client, channel)
    answer = Auth(app.test_client()).request(contact, channel)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 503
    assert page.count(line) == 1, page
    assert "instead" in page  # the other channel is still offered


def test_the_status_box_still_shows_when_nothing_was_asked(app, redis_client):
    open_breaker(redis_client, "sms")
    page = app.test_client().get("/otp/request/").get_data(as_text=True)
    assert page.count("Text messages are unavailable right now") == 1


def test_another_error_keeps_the_breaker_box(app, redis_client):
    open_breaker(redis_client, "sms")
    client = app.test_client()
    token = csrf_token(client)
    data = {"channel": "email", "contact": "not an address", "csrf_token": token}
    page = client.post("/otp/request/", data=data).get_data(as_text=True)
    assert "Text messages are unavailable right now" in page


@pytest.mark.parametrize("settings", [REDIS_DOWN])
def test_a_signed_in_customer_is_not_told_nobody_was_signed_in(app, client, customer, settings):
    with client.session_transaction() as session:
        session.update({"_user_id": str(customer), "_fresh": True, "_sid": SID})
    answer = client.get("/dashboard/")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 503 and answer.headers["Retry-After"].isdigit()
    assert "temporarily unavailable" in page
    assert "Nobody has been signed in" not in page
    assert "Sign out" not in page  # still nobody's page is shown


@pytest.mark.parametrize("settings", [REDIS_DOWN])
def test_the_hindi_page_says_the_same(app, client, customer, settings):
    with client.session_transaction() as session:
        session.update({"_user_id": str(customer), "_fresh": True, "_sid": SID})
    page = client.get("/dashboard/?lang=hi").get_data(as_text=True)
    assert "किसी का लॉगिन नहीं हुआ है" not in page
    assert "कुछ मिनट बाद" in page
