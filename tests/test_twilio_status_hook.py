"""``POST /hooks/twilio/status``: signed by Twilio or refused; final statuses audited."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from tests.security_support import events, tag_of
from tests.twilio_standin import TWILIO_TOKEN

pytest_plugins = ("tests.delivery_fixtures",)
URL = "https://billing.example.org/hooks/twilio/status"
PHONE = "+919876543210"


@pytest.fixture
def settings():
    return {
        "PUBLIC_HOST": "billing.example.org",
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
    }


def form(status: str, **extra: str) -> dict[str, str]:
    return {"MessageSid": "SM" + "0" * 32, "MessageStatus": status, "To": PHONE, **extra}


def post(client, data: dict, signature: str | None):  # noqa: ANN001, ANN201
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    return client.post("/hooks/twilio/status", data=data, headers=headers)


def signed(data: dict, token: str = TWILIO_TOKEN) -> str:
    return RequestValidator(token).compute_signature(URL, data)


def test_delivered_and_undelivered_are_audited(app, client, customer):
    delivered, failed = form("delivered"), form("undelivered", ErrorCode="30003")
    assert post(client, delivered, signed(delivered)).status_code == 204  # no CSRF token
    assert post(client, failed, signed(failed)).status_code == 204
    rows = events(app)
    assert [(e.event, e.customer_id, e.channel, e.reason) for e in rows] == [
        ("otp_delivered", customer, "sms", None),
        ("otp_undelivered", customer, "sms", "30003"),
    ]
    assert {e.contact_hash for e in rows} == {tag_of(app, "sms", PHONE)}


def test_a_replayed_report_is_acknowledged_and_audited_once(app, client, customer):
    failed = form("undelivered", ErrorCode="30003")
    for _ in range(3):  # the same signed request again: Twilio's signature has no time
        assert post(client, failed, signed(failed)).status_code == 204
    delivered = form("delivered")  # another status of the same message still counts
    assert post(client, delivered, signed(delivered)).status_code == 204
    other = form("undelivered", MessageSid="SM" + "1" * 32)  # another message, same status
    assert post(client, other, signed(other)).status_code == 204
    assert [e.event for e in events(app)] == ["otp_undelivered", "otp_delivered", "otp_undelivered"]


def test_interim_status_is_acknowledged_not_audited(app, client):
    sent = form("sent")
    assert post(client, sent, signed(sent)).status_code == 204
    assert events(app) == []


@pytest.mark.parametrize(
    "signature",
    [None, "", "bm90IGEgc2lnbmF0dXJl", "other-token"],
    ids=["missing", "empty", "bad", "other-token"],
)
def test_unsigned_or_badly_signed_is_403(app, client, signature):
    data = form("delivered")
    if signature == "other-token":
        signature = signed(data, token="someone-elses-token")
    assert post(client, data, signature).status_code == 403
    assert events(app) == []


def test_a_signature_for_other_values_is_403(app, client):
    original = form("undelivered")
    assert post(client, form("delivered"), signed(original)).status_code == 403


def test_each_sms_names_the_callback(app, auth, customer, twilio, real_sms):
    auth.request("9876543210", "sms")
    [posted] = twilio.posted
    assert posted.form["StatusCallback"] == URL


@pytest.mark.parametrize("settings", [{"PUBLIC_HOST": "localhost"}])
def test_no_callback_for_a_host_twilio_cannot_reach(app, auth, customer, twilio, real_sms):
    auth.request("9876543210", "sms")
    [posted] = twilio.posted
    assert "StatusCallback" not in posted.form


@pytest.mark.parametrize("settings", [{"PUBLIC_URL": "https://billing.example.org:8443"}])
def test_the_callback_follows_public_url_port_included(app, auth, customer, twilio, real_sms):
    auth.request("9876543210", "sms")
    [posted] = twilio.posted
    assert posted.form["StatusCallback"] == "https://billing.example.org:8443/hooks/twilio/status"
