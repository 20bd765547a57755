"""WhatsApp through Twilio's WhatsApp sender: an approved authentication template.

Twilio sends WhatsApp through its Messages API like an SMS: ``To`` and ``From`` carry the
``whatsapp:`` prefix, and a business-initiated message must be an approved template, named
by its Content SID (``TWILIO_WHATSAPP_CONTENT_SID``, ``HX…``) with its variables as JSON
(``{"1": "<code>"}``): Meta's authentication templates carry exactly the code. Failures
become ``DeliveryError`` as an SMS's do (``twilio_sms.classify``), plus WhatsApp's own
refusals of a recipient (not on WhatsApp, invalid), which are permanent.
"""

from __future__ import annotations

import json
from typing import Any

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from .base import DeliveryError, Message
from .twilio_sms import classify, default_http_client

PREFIX = "whatsapp:"
# https://www.twilio.com/docs/api/errors: 63003 not a WhatsApp user, 63024 invalid
# recipient, 63032 the user cannot receive this message: retrying will not help.
NOT_REACHABLE_CODES = {63003, 63024, 63032}


class TwilioWhatsAppSender:
    """Sends each code as the approved template ``content_sid`` from ``from_``."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_: str,
        content_sid: str,
        http_client: Any = None,
    ) -> None:
        self.client = Client(
            account_sid, auth_token, http_client=http_client or default_http_client()
        )
        self.from_ = from_
        self.content_sid = content_sid

    def send(self, message: Message) -> None:
        fields: dict[str, str] = {
            "to": PREFIX + message.to,
            "from_": PREFIX + self.from_,
            "content_sid": self.content_sid,
            "content_variables": json.dumps(
                {str(i): value for i, value in enumerate(message.variables, 1)}
            ),
        }
        if message.status_callback:
            fields["status_callback"] = message.status_callback
        try:
            self.client.messages.create(**fields)
        except TwilioRestException as exc:
            if exc.code in NOT_REACHABLE_CODES:
                raise DeliveryError(
                    f"WhatsApp refused the number (error {exc.code})", temporary=False
                ) from exc
            raise classify(exc) from exc
        except TwilioException as exc:
            raise classify(exc) from exc
        except OSError as exc:  # connection refused, timeouts below the client
            raise DeliveryError(
                f"Twilio unreachable: {type(exc).__name__}", temporary=True
            ) from exc
