"""Fixtures for the WhatsApp tests: WhatsApp first, then SMS, through the Twilio stand-in.

Use with ``pytest_plugins = ("tests.delivery_fixtures", "tests.whatsapp_fixtures")``.
"""

from __future__ import annotations

import pytest

from tests.twilio_standin import TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN, StandIn, StandInHttpClient
from tests.whatsapp_support import CONTENT_SID, WHATSAPP_FROM


@pytest.fixture
def senders(app, twilio: StandIn):
    """Twilio's WhatsApp and SMS senders (the official client), aimed at the stand-in."""
    from otpauth.delivery import delivery
    from otpauth.delivery.twilio_sms import TwilioSender
    from otpauth.delivery.whatsapp import TwilioWhatsAppSender

    http = StandInHttpClient(twilio.base_url)
    with app.app_context():
        delivery().senders["whatsapp"] = TwilioWhatsAppSender(
            TWILIO_SID, TWILIO_TOKEN, WHATSAPP_FROM, CONTENT_SID, http_client=http
        )
        delivery().senders["sms"] = TwilioSender(
            TWILIO_SID, TWILIO_TOKEN, TWILIO_FROM, http_client=http
        )
    return twilio
