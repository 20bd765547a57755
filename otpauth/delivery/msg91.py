"""SMS through MSG91's HTTP API (India), with ``requests``; failures become ``DeliveryError``.

``POST {MSG91_BASE_URL}/api/v2/sendsms`` with the ``authkey`` header and a JSON body: the
DLT-registered sender (``MSG91_SENDER_ID``), the transactional route, the DLT template id
(``DLT_TE_ID``: the language's ``SMS_DLT_TEMPLATE_ID``, else ``MSG91_DLT_TEMPLATE_ID``),
``unicode`` for a UCS-2 text (Hindi), and the message with its number. MSG91 answers
``{"type": "success", "message": "<request id>"}``, or ``{"type": "error", …}``.

Mapped like Twilio's failures: no answer (timeout, refused connection), HTTP 429 and 5xx,
and an answer that is not MSG91's JSON (a proxy's page) are temporary; any other refusal
(4xx, ``type: error``: a bad key, sender, template or number) is permanent.
"""

from __future__ import annotations

import re

import requests

from .base import DeliveryError, Message
from .dlt import Encoding, segments

SEND_PATH = "/api/v2/sendsms"
TRANSACTIONAL_ROUTE = "4"
# Seconds to connect and to wait for the answer: a stuck call must fail the send (and let
# the queue retry), not hang it.
TIMEOUT = (5.0, 10.0)
_NUMBERS = re.compile(r"\d{5,}")  # no phone number from an error message reaches the log


class Msg91Sender:
    """Sends SMS through MSG91 with one kept-alive ``requests.Session``."""

    def __init__(
        self, auth_key: str, sender_id: str, template_id: str | None, base_url: str
    ) -> None:
        self.session = requests.Session()
        self.session.headers.update({"authkey": auth_key, "accept": "application/json"})
        self.sender_id = sender_id
        self.template_id = template_id
        self.url = base_url.rstrip("/") + SEND_PATH

    def send(self, message: Message) -> None:
        body = {
            "sender": self.sender_id,
            "route": TRANSACTIONAL_ROUTE,
            "country": "0",  # the numbers carry their country code
            "unicode": int(segments(message.text).encoding is Encoding.UCS2),
            "DLT_TE_ID": message.template_id or self.template_id or "",
            "sms": [{"message": message.text, "to": [message.to.lstrip("+")]}],
        }
        try:
            answer = self.session.post(self.url, json=body, timeout=TIMEOUT)
        except requests.Timeout as exc:
            raise DeliveryError("MSG91 did not answer in time", temporary=True) from exc
        except requests.RequestException as exc:
            raise DeliveryError(f"MSG91 unreachable: {type(exc).__name__}", temporary=True) from exc
        check(answer)


def check(answer: requests.Response) -> str:
    """MSG91's request id from a success; ``DeliveryError`` for anything else."""
    status = answer.status_code
    if status == 429 or status >= 500:
        raise DeliveryError(f"MSG91 error {status}", temporary=True)
    try:
        body = answer.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or body.get("type") not in ("success", "error"):
        if status >= 400:
            raise DeliveryError(f"MSG91 refused the message (HTTP {status})", temporary=False)
        raise DeliveryError(f"MSG91 answered HTTP {status} without its JSON", temporary=True)
    if body["type"] == "error" or status >= 400:
        said = _NUMBERS.sub("…", str(body.get("message", "")))[:60]
        raise DeliveryError(f"MSG91 refused the message (HTTP {status}: {said})", temporary=False)
    return str(body.get("message", ""))
