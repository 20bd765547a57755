"""Twilio's WhatsApp shapes for the tests: what a send posts, and the reports Twilio sends.

A WhatsApp message goes through the same Messages API as an SMS (the stand-in in
``tests/twilio_standin.py`` takes it): ``To`` and ``From`` carry the ``whatsapp:`` prefix,
and an approved template is named by ``ContentSid`` with its variables as a JSON object in
``ContentVariables`` (``{"1": "<code>"}``) instead of a ``Body``. Twilio reports the fate
of each message to its ``StatusCallback``, signed like any other callback: ``queued``,
``sent``, then ``delivered`` (and ``read``) or ``failed``/``undelivered`` with an error
code (63003: the number is not on WhatsApp; 63016: outside the 24-hour window without a
template; 63024: invalid recipient).
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from tests.conftest import drain
from tests.twilio_standin import TWILIO_TOKEN, Posted, StandIn

HOST = "billing.example.org"  # a public host: each message names its status callback
PHONE = "+919876543210"  # the demo customer's
WHATSAPP_FROM = "+15005550006"  # the WhatsApp sender (a Twilio number with WhatsApp)
CONTENT_SID = "HX" + "3" * 32  # an approved authentication template
PREFIX = "whatsapp:"
NOT_ON_WHATSAPP = "63003"
# The settings of a site that sends WhatsApp first (the tests' ``settings`` fixture): a
# short fallback window, so the timer's path runs in a second.
SETTINGS = {
    "WHATSAPP_BACKEND": "console",  # offered; the ``senders`` fixture puts Twilio's in place
    "DELIVERY_PHONE_ORDER": ("whatsapp", "sms"),
    "WHATSAPP_FALLBACK_SECONDS": 1,
    "PUBLIC_HOST": HOST,
    "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
}
OUTSIDE_WINDOW = "63016"


def is_whatsapp(posted: Posted) -> bool:
    """Whether the stand-in received this post as a WhatsApp message."""
    return posted.form.get("To", "").startswith(PREFIX)


def whatsapp_posts(posts: list[Posted]) -> list[Posted]:
    return [p for p in posts if is_whatsapp(p)]


def sms_posts(posts: list[Posted]) -> list[Posted]:
    return [p for p in posts if not is_whatsapp(p)]


def code_of(posted: Posted) -> str:
    """The code a WhatsApp template message carries (its first content variable)."""
    return json.loads(posted.form["ContentVariables"])["1"]


def report(
    sid: str, status: str, number: str, error_code: str | None = None, **extra: str
) -> dict[str, str]:
    """Twilio's status callback form for WhatsApp message ``sid`` to ``number`` (E.164)."""
    form = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "To": PREFIX + number,
        "From": PREFIX + WHATSAPP_FROM,
        "ChannelPrefix": "whatsapp",
        "ApiVersion": "2010-04-01",
        **extra,
    }
    if error_code:
        form["ErrorCode"] = error_code
    return form


def signature(url: str, form: dict[str, str], token: str = TWILIO_TOKEN) -> str:
    """``X-Twilio-Signature`` for a callback to ``url`` (with its query) carrying ``form``."""
    return RequestValidator(token).compute_signature(url, form)


def post_report(client, url: str, form: dict[str, str], token: str = TWILIO_TOKEN):  # noqa: ANN001, ANN201
    """POST a signed report to the app the way Twilio does: to the path of ``url``."""
    path = url.split("://", 1)[-1]
    path = path[path.index("/") :]
    headers = {"X-Twilio-Signature": signature(url, form, token)}
    return client.post(path, data=urlencode(form), headers=headers, content_type=FORM)


FORM = "application/x-www-form-urlencoded"


def wait_for(app, check, seconds: float = 6.0):  # noqa: ANN001, ANN201
    """Poll ``check()`` (draining the inline pool) until it is true or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        drain(app)
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def sms_sent(twilio: StandIn) -> list:
    return sms_posts(twilio.posted)


def whatsapp_sent(twilio: StandIn) -> list:
    return whatsapp_posts(twilio.posted)
