"""SMS through the official ``twilio`` client; Twilio failures become ``DeliveryError``."""

from __future__ import annotations

import logging
from typing import Any

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ..platform.catalog import lazy_gettext as _l
from .base import DeliveryError, Message

# Twilio error codes meaning the number itself cannot take the message: retrying is useless.
# https://www.twilio.com/docs/api/errors
INVALID_NUMBER_CODES = {21211, 21214, 21217, 21401, 21407, 21408, 21421, 21610, 21612, 21614}
UNREACHABLE_CODES = {30003, 30005, 30006}
# A stuck API call must fail the send (and let the queue retry), not hang it.
TWILIO_TIMEOUT_SECONDS = 15.0
# Twilio's client logs every request and response header at INFO: one line set per SMS.
_quiet_log = logging.getLogger("otpauth.delivery.twilio_http")
_quiet_log.setLevel(logging.WARNING)


def default_http_client() -> TwilioHttpClient:
    """Twilio's own HTTP client (a kept-alive session) with a timeout and a quiet log."""
    return TwilioHttpClient(timeout=TWILIO_TIMEOUT_SECONDS, logger=_quiet_log)


def classify(exc: TwilioException) -> DeliveryError:
    """Map a Twilio failure to a temporary or permanent ``DeliveryError``."""
    if isinstance(exc, TwilioRestException):
        if exc.code in INVALID_NUMBER_CODES or exc.code in UNREACHABLE_CODES:
            return DeliveryError(
                f"Twilio refused the number (error {exc.code})",
                temporary=False,
                user_message=_l(
                    "We could not send a text message to this number. "
                    "Please check it, or sign in with your e-mail address."
                ),
            )
        temporary = exc.status == 429 or exc.status >= 500
        return DeliveryError(f"Twilio error {exc.status}/{exc.code}", temporary=temporary)
    return DeliveryError(f"Twilio unavailable: {type(exc).__name__}", temporary=True)


class TwilioSender:
    """Sends SMS from ``TWILIO_FROM_NUMBER`` (a number, or an ``MG…`` messaging service)."""

    def __init__(
        self, account_sid: str, auth_token: str, from_: str, http_client: Any = None
    ) -> None:
        self.client = Client(
            account_sid, auth_token, http_client=http_client or default_http_client()
        )
        self.from_ = from_

    def send(self, message: Message) -> None:
        sender = (
            {"messaging_service_sid": self.from_}
            if self.from_.startswith("MG")
            else {"from_": self.from_}
        )
        if message.status_callback:
            sender["status_callback"] = message.status_callback
        try:
            self.client.messages.create(to=message.to, body=message.text, **sender)
        except TwilioException as exc:
            raise classify(exc) from exc
        except OSError as exc:  # connection refused, timeouts below the client
            raise DeliveryError(
                f"Twilio unreachable: {type(exc).__name__}", temporary=True
            ) from exc
