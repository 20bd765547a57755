"""A failing provider must not tell customers from strangers: through the real SMTP server
(stopped, 4xx, 5xx) and the Twilio stand-in, a customer's request and resend get the very
answer a stranger's get (status, redirect, the following page modulo its CSRF token)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Auth
from tests.security_support import events

pytest_plugins = ("tests.delivery_fixtures",)

# The stranger's contact masks like the customer's, so the pages can be compared whole.
CONTACTS = {
    "email": ("test@example.com", "tzzz@example.com"),
    "sms": ("9876543210", "9876503210"),
}
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="[^"]+"')
# The code's remaining lifetime (a second may tick between the two walks).
COUNTDOWN_RE = re.compile(r'data-seconds="\d+"([^>]*)>\d+:\d\d')


@pytest.fixture
def settings(smtp_settings):
    return {**smtp_settings, "OTP_RESEND_COOLDOWN_SECONDS": 0, "DELIVERY_BREAKER_FAILURES": 100}


def page(response) -> str:
    text = TOKEN_RE.sub('name="csrf_token" value="-"', response.get_data(as_text=True))
    return COUNTDOWN_RE.sub(r'data-seconds="-"\1>-', text)


def walk(app, channel: str, contact: str) -> list[tuple]:
    """Request, the page it leads to, resend, the page after: what a visitor observes."""
    client = app.test_client()
    auth = Auth(client)
    seen = []
    for step in (lambda: auth.request(contact, channel), auth.resend):
        response = step()
        follow = client.get(response.headers.get("Location", "/otp/verify/"))
        seen.append((response.status_code, response.headers.get("Location"), page(response)))
        seen.append((follow.status_code, page(follow)))
    return seen


def assert_same_for_both(app, channel: str) -> None:
    known, unknown = CONTACTS[channel]
    assert walk(app, channel, known) == walk(app, channel, unknown)


def break_smtp(smtp_server, how: str) -> None:
    if how == "stopped":
        smtp_server.stop()
    else:
        reply = "451 4.3.0 Try again later" if how == "4xx" else "550 5.1.1 No such user"
        smtp_server.handler.rcpt_replies = [reply] * 10


@pytest.mark.parametrize("how", ["stopped", "4xx", "5xx"])
def test_smtp_failure_answers_customer_as_stranger(app, customer, smtp_server, real_email, how):
    break_smtp(smtp_server, how)
    assert_same_for_both(app, "email")
    failed = events(app, event="otp_send_failed")
    reason = "permanent" if how == "5xx" else "retries_exhausted"
    assert [(e.customer_id, e.reason) for e in failed] == [(customer, reason)] * 2
    assert smtp_server.received == []


@pytest.mark.parametrize(
    "error", [(503, 20503, "unavailable"), (400, 21614, "not a mobile"), None], ids=str
)
def test_twilio_failure_answers_customer_as_stranger(app, customer, twilio, real_sms, error):
    if error is None:
        twilio.shutdown()  # nothing answers: connection refused
        twilio.server_close()
    else:
        twilio.errors = [error] * 10
    assert_same_for_both(app, "sms")
    assert len(events(app, event="otp_send_failed")) == 2


def test_working_provider_answers_customer_as_stranger(app, customer, smtp_server, real_email):
    assert_same_for_both(app, "email")
    assert len(smtp_server.received) == 2  # the customer's request and resend, nobody else's


def test_audit_rows_at_request_time_are_the_same_for_both(app, customer, outbox):
    known, unknown = CONTACTS["email"]
    walk(app, "email", known)
    walk(app, "email", unknown)
    rows = [e for e in events(app) if e.ip is not None]  # written by the request itself
    per_contact: dict[str, list[str]] = {}
    for row in rows:
        per_contact.setdefault(row.contact_hash, []).append(row.event)
    assert len(per_contact) == 2
    first, second = per_contact.values()
    assert first == second == ["otp_requested", "otp_queued", "otp_queued"]
