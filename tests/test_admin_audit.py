"""The audit search, its CSV download, and the overview's grouped stats."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from otpauth.platform.extensions import db
from otpauth.signin.models import AuthEvent
from otpauth.signin.otp import hasher
from otpauth.web.admin import stats

pytest_plugins = ("tests.admin_fixtures",)
NOW = datetime.now(UTC)


def local_dates(app) -> dict[str, date]:
    """Days counted back from today as the app reads a date: in DISPLAY_TIMEZONE, not UTC
    (the two disagree 18:30-24:00 UTC for Asia/Kolkata)."""
    today = NOW.astimezone(ZoneInfo(app.config["DISPLAY_TIMEZONE"])).date()
    return {f"d{days}": today - timedelta(days=days) for days in (2, 39, 50)}


def seed(app, customer: int) -> None:
    with app.app_context():
        tag = hasher().tag("email", "test@example.com")
        rows = [
            AuthEvent(event="otp_requested", customer_id=customer, channel="email",
                      contact_hash=tag, ip="10.0.0.1", at=NOW - timedelta(hours=1)),
            AuthEvent(event="otp_sent", customer_id=customer, channel="email",
                      contact_hash=tag, ip="10.0.0.1", at=NOW - timedelta(hours=1)),
            AuthEvent(event="otp_verify_failed", customer_id=customer, channel="sms",
                      ip="10.0.0.2", at=NOW - timedelta(days=3)),
            AuthEvent(event="login", customer_id=customer, channel="email",
                      ip="10.0.0.1", at=NOW - timedelta(minutes=5)),
            AuthEvent(event="otp_rate_limited", ip="10.0.0.9", at=NOW - timedelta(days=40)),
        ]  # fmt: skip
        db.session.add_all(rows)
        db.session.commit()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 5),
        ("event=login", 1),
        ("channel=sms", 1),
        ("ip=10.0.0.1", 3),
        ("contact=TEST@example.com", 2),
        ("contact=%2B91+98765+43210&channel=sms", 0),
        ("since={d2}", 3),
        ("until={d2}", 2),
        ("since={d50}&until={d39}", 1),
    ],
)
def test_filters(app, as_support, customer, query, expected):
    seed(app, customer)
    query = query.format_map(local_dates(app))
    html = as_support.get(f"/admin/audit/?{query}&customer=").get_data(as_text=True)
    assert f"{expected} event(s)" in html


def test_customer_filter_and_csv(app, as_support, customer):
    seed(app, customer)
    html = as_support.get(f"/admin/audit/?customer={customer}").get_data(as_text=True)
    assert "4 event(s)" in html
    response = as_support.get(f"/admin/audit/?customer={customer}&event=otp_sent&format=csv")
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "at,event,customer,channel,contact_hash,ip,staff,reason"
    assert len(lines) == 2 and ",otp_sent," in lines[1] and "+0530" in lines[1]


@pytest.mark.parametrize(
    "query",
    ["customer=abc", "event=nope", "contact=not-a-mail@", "since=yesterday", "until=2026-13-01"],
)
def test_bad_filters_are_a_400_not_a_500(as_support, query):
    response = as_support.get(f"/admin/audit/?{query}")
    assert response.status_code == 400
    assert "notice error" in response.get_data(as_text=True)


def test_staff_member_shown_in_events(app, as_admin, admin_id, customer):
    with app.app_context():
        db.session.add(AuthEvent(event="contact_unlocked", customer_id=customer, staff_id=admin_id))
        db.session.commit()
    html = as_admin.get("/admin/audit/?event=contact_unlocked").get_data(as_text=True)
    assert f"<td>Admin Person #{admin_id}</td>" in html


def test_stats_group_by_bucket_event_and_channel(app, customer):
    seed(app, customer)
    with app.test_request_context():
        hourly = stats.hourly()
        daily = stats.daily(hourly)
    assert len(hourly.buckets) == 24 and len(daily.buckets) == 30
    assert hourly.total("requested") == 1 and hourly.total("sent", "email") == 1
    assert hourly.total("wrong codes") == 0 and daily.total("wrong codes", "sms") == 1
    assert daily.total("logins") == 1 and daily.total("rate-limited") == 0  # 40 days ago
    assert hourly.buckets[-1].utcoffset() == timedelta(hours=5, minutes=30)


def test_overview_draws_charts_and_tables(app, as_support, customer):
    seed(app, customer)
    html = as_support.get("/admin/").get_data(as_text=True)
    assert html.count("<svg") == 14  # seven series, two periods
    assert "Last 24 hours" in html and "Last 30 days" in html
    assert "SMS budget left this hour" in html
    assert "http://www.w3.org/2000/svg" in html and "https://" not in html
    sms = as_support.get("/admin/?channel=sms").get_data(as_text=True)
    assert "(sms)" in sms


def test_finished_days_are_counted_once_today_live(app, customer, redis_client):
    seed(app, customer)
    with app.test_request_context():
        first = stats.daily(stats.hourly())
        assert redis_client.keys("stats:*") and all(
            0 < redis_client.ttl(k) <= 32 * 86400 for k in redis_client.keys("stats:*")
        )
        db.session.add_all(
            [
                AuthEvent(event="otp_verify_failed", channel="sms", at=NOW - timedelta(days=3)),
                AuthEvent(event="otp_verify_failed", channel="sms"),
            ]
        )
        db.session.commit()
        again = stats.daily(stats.hourly())
    assert first.total("wrong codes") == 1
    assert again.total("wrong codes") == 2  # today's new one; the finished day is not recounted
    assert again.row("wrong codes")[-1] == 1


@pytest.mark.parametrize("settings", [{"SMS_MAX_PER_HOUR": 7}])
def test_overview_shows_the_sms_budget_left(app, as_support, customer, auth, settings):
    auth.request("9876543210", "sms")
    html = as_support.get("/admin/").get_data(as_text=True)
    assert "SMS budget left this hour</dt><dd>6</dd>" in html
    assert "Queue depth" not in html  # inline mode has no queue


@pytest.mark.parametrize("backend", ["servers"], indirect=True)  # the queue needs real Redis
@pytest.mark.parametrize("settings", [{"DELIVERY_MODE": "queue"}])
def test_overview_shows_the_queue_in_queue_mode(app, as_support, settings):
    html = as_support.get("/admin/").get_data(as_text=True)
    assert "Queue depth</dt><dd>0</dd>" in html
    # No worker beats: a warning colour and words, not the colour alone.
    assert '<dd class="notice error" data-problem="no-worker"><strong>0: no delivery worker' in html
