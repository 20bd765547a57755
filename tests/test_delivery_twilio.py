"""SMS through the official twilio client, against a local stand-in for its Messages API."""

from __future__ import annotations

import base64
import re

import pytest

from otpauth.delivery import DeliveryError, Message
from otpauth.delivery.twilio_sms import TwilioSender
from otpauth.signin import audit
from tests.twilio_standin import TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN, StandInHttpClient

pytest_plugins = ("tests.delivery_fixtures",)


def test_code_sms_posts_twilio_form_and_logs_in(client, auth, customer, twilio, real_sms):
    response = auth.request("98765 43210", channel="sms")
    assert response.headers["Location"] == "/otp/verify/"
    [posted] = twilio.posted
    assert posted.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    expected = base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
    assert posted.headers["Authorization"] == f"Basic {expected}"
    assert posted.form["To"] == "+919876543210"
    assert posted.form["From"] == TWILIO_FROM
    assert "MessagingServiceSid" not in posted.form
    code = re.match(r"(\d{6}) is your Waste Billing sign-in code", posted.form["Body"]).group(1)
    assert posted.form["Body"].endswith(f"\n@localhost #{code}")
    assert auth.verify(code).headers["Location"] == "/dashboard/"


def test_messaging_service_sid_is_sent_as_such(app, twilio):
    service = "MG" + "2" * 32
    sender = TwilioSender(
        TWILIO_SID, TWILIO_TOKEN, service, http_client=StandInHttpClient(twilio.base_url)
    )
    sender.send(Message(to="+14155550100", text="hello"))
    [posted] = twilio.posted
    assert posted.form["MessagingServiceSid"] == service
    assert "From" not in posted.form
    assert posted.form == {"To": "+14155550100", "Body": "hello", "MessagingServiceSid": service}


@pytest.mark.parametrize(
    ("status", "code", "temporary"),
    [
        (400, 21211, False),  # invalid 'To' number
        (400, 21614, False),  # not a mobile number
        (400, 21610, False),  # the number has opted out (STOP)
        (400, 21612, False),  # the number is not reachable by SMS
        (429, 20429, True),  # too many requests
        (500, 20500, True),  # Twilio internal error
        (503, 20503, True),  # service unavailable
        (401, 20003, False),  # bad credentials: retrying will not help
    ],
)
def test_twilio_errors_are_classified(app, twilio, real_sms, status, code, temporary):
    twilio.errors = [(status, code, "stand-in error")]
    with pytest.raises(DeliveryError) as caught:
        real_sms.send(Message(to="+919876543210", text="x"))
    assert caught.value.temporary is temporary
    assert str(status) in str(caught.value) or str(code) in str(caught.value)


def test_invalid_number_is_audited_not_shown(app, auth, customer, twilio, real_sms):
    twilio.errors = [(400, 21614, "'To' number is not a valid mobile number")]
    response = auth.request("9876543210", channel="sms")
    assert response.headers["Location"] == "/otp/verify/"
    with app.app_context():
        [event] = audit.recent(event="otp_send_failed")
    assert (event.customer_id, event.channel, event.reason) == (customer, "sms", "permanent")


def test_unreachable_twilio_is_temporary(app, twilio):
    sender = TwilioSender(
        TWILIO_SID, TWILIO_TOKEN, TWILIO_FROM, http_client=StandInHttpClient(twilio.base_url)
    )
    twilio.shutdown()
    twilio.server_close()  # nothing listens on the port any more: connection refused
    with pytest.raises(DeliveryError) as caught:
        sender.send(Message(to="+919876543210", text="x"))
    assert caught.value.temporary is True
    assert "unreachable" in str(caught.value)
