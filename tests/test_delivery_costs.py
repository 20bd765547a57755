"""What delivery costs: units billed per sent message (SMS segments, WhatsApp messages),
the console's table per channel and day, and the Prometheus counters."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from otpauth.platform.extensions import db
from otpauth.signin.models import AuthEvent, utcnow
from otpauth.web.admin.costs import daily_costs
from tests.security_support import events

pytest_plugins = ("tests.admin_fixtures",)
SETTINGS = {
    "WHATSAPP_BACKEND": "console",
    "SMS_UNIT_COST": Decimal("0.25"),
    "WHATSAPP_UNIT_COST": Decimal("0.11"),
    "OTP_RESEND_COOLDOWN_SECONDS": 0,
}


@pytest.fixture
def settings():
    return dict(SETTINGS)


def test_sent_messages_carry_their_billed_units(app, client, auth, customer, sms, whatsapp):
    auth.request("9876543210", "sms")  # English: one GSM-7 segment
    client.get("/otp/request/?lang=hi")
    auth.request("9876543210", "sms")  # Hindi: two UCS-2 segments
    auth.request("9876543210", "whatsapp")  # one WhatsApp message
    auth.request("test@example.com", "email")  # not metered: no units
    sent = [(e.channel, e.units) for e in events(app, event="otp_sent")]
    assert sent == [("sms", 1), ("sms", 2), ("whatsapp", 1), ("email", None)]


def seed(app, now, customer: int) -> None:  # noqa: ANN001
    """Two days of sends, reports and fallbacks (a stranger's fallback is not counted)."""
    rows = [
        ("otp_sent", "sms", 2, 1),
        ("otp_sent", "sms", 1, 1),
        ("otp_sent", "whatsapp", 1, 1),
        ("otp_sent", "whatsapp", 1, 1),
        ("otp_sent", "whatsapp", 1, 1),
        ("otp_delivered", "whatsapp", None, 1),
        ("otp_delivered", "whatsapp", None, 1),
        ("otp_undelivered", "whatsapp", None, 1),
        ("otp_delivered", "sms", None, 1),
        ("otp_fallback", "whatsapp", None, 1),
        ("otp_fallback", "whatsapp", None, None),  # a stranger: nothing was sent
    ]
    with app.app_context():
        events_ = [
            AuthEvent(event=e, channel=c, units=u, customer_id=cid and customer, at=now)
            for e, c, u, cid in rows
        ]
        events_.append(AuthEvent(event="otp_sent", channel="sms", units=2, at=now - timedelta(2)))
        db.session.add_all(events_)
        db.session.commit()


def test_the_table_per_channel_and_day(app, customer):
    now = utcnow()
    seed(app, now, customer)
    with app.test_request_context():
        rows = daily_costs(now)
    today = {r.channel: r for r in rows[:2]}
    assert [r.channel for r in rows[:2]] == ["sms", "whatsapp"]
    sms, wa = today["sms"], today["whatsapp"]
    assert (sms.sent, sms.delivered, sms.undelivered, sms.fallbacks, sms.units) == (2, 1, 0, 0, 3)
    assert sms.cost == Decimal("0.75") and sms.delivery_rate == 1.0
    assert (wa.sent, wa.delivered, wa.undelivered, wa.fallbacks, wa.units) == (3, 2, 1, 1, 3)
    assert wa.cost == Decimal("0.33") and wa.delivery_rate == pytest.approx(2 / 3)
    two_days_ago = {r.channel: r for r in rows[4:6]}
    assert (two_days_ago["sms"].sent, two_days_ago["sms"].cost) == (1, Decimal("0.50"))
    assert two_days_ago["sms"].delivery_rate is None  # no report: no rate
    assert len(rows) == 7 * 2


def test_the_overview_shows_it(app, as_support, customer):
    seed(app, utcnow(), customer)
    html = as_support.get("/admin/").get_data(as_text=True)
    assert "Delivery and cost, per channel and day" in html
    assert "cost estimated in INR" in html
    row = html.split('data-channel="whatsapp"', 1)[1].split("</tr>", 1)[0]
    cells = [c.split("<", 1)[0] for c in row.split("<td>")[1:]]
    assert cells == ["whatsapp", "3", "2", "1", "67 %", "1", "3", "0.33"]


def test_the_counters_reach_metrics(app, client, auth, customer, sms, whatsapp):
    auth.request("9876543210", "whatsapp")
    client.get("/otp/request/?lang=hi")
    auth.request("9876543210", "sms")
    text = client.get("/metrics").get_data(as_text=True)
    for line in (
        'otpauth_messages_total{channel="whatsapp",status="sent"}',
        'otpauth_messages_total{channel="sms",status="sent"}',
        'otpauth_message_segments_total{channel="sms"}',
    ):
        assert line in text, line
