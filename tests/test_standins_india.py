"""The MSG91 stand-in and the WhatsApp report shapes answer as the providers document.

The delivery tests drive MSG91 and Twilio's WhatsApp sender against these; this proves the
stand-ins themselves (their success and failure shapes) with plain ``requests`` calls.
"""

from __future__ import annotations

import json

import pytest
import requests

from tests.msg91_standin import (
    DELIVERED,
    MSG91_AUTH_KEY,
    MSG91_SENDER,
    SEND_PATH,
    Msg91StandIn,
    Reply,
    report_form,
    request_id,
)
from tests.twilio_standin import TWILIO_TOKEN, Posted
from tests.whatsapp_support import CONTENT_SID, code_of, is_whatsapp, report, signature

BODY = {
    "sender": MSG91_SENDER,
    "route": "4",
    "sms": [{"message": "123456 is your code", "to": ["919876543210"]}],
}


@pytest.fixture
def msg91():
    with Msg91StandIn() as server:
        yield server


def post(server: Msg91StandIn, body: dict = BODY, key: str = MSG91_AUTH_KEY, timeout=5.0):  # noqa: ANN001, ANN201
    return requests.post(
        server.base_url + SEND_PATH, json=body, headers={"authkey": key}, timeout=timeout
    )


def test_a_send_is_answered_with_a_request_id(msg91):
    answer = post(msg91)
    assert (answer.status_code, answer.json()) == (
        200,
        {"type": "success", "message": request_id(1)},
    )
    assert msg91.sent == BODY["sms"]
    assert msg91.received[0].headers["authkey"] == MSG91_AUTH_KEY


def test_a_wrong_auth_key_and_a_bad_body_are_refused(msg91):
    assert post(msg91, key="nope").status_code == 401
    answer = post(msg91, body={"sms": []})
    assert (answer.status_code, answer.json()["type"]) == (400, "error")


def test_queued_replies_come_in_order(msg91):
    msg91.replies = [
        Reply.error(503, "Service Unavailable"),
        Reply.malformed(),
        Reply.error(200, "x"),
    ]
    assert post(msg91).status_code == 503
    malformed = post(msg91)
    with pytest.raises(ValueError):
        malformed.json()
    assert post(msg91).json() == {"type": "error", "message": "x"}
    assert post(msg91).json()["type"] == "success"


def test_a_slow_answer_times_the_client_out(msg91):
    msg91.replies = [Reply.slow(1.0)]
    with pytest.raises(requests.Timeout):
        post(msg91, timeout=0.2)


def test_the_report_webhook_shape():
    form = report_form("abc", "919876543210", DELIVERED)
    [entry] = json.loads(form["data"])
    assert entry["requestId"] == "abc"
    assert entry["report"] == [
        {
            "date": "2026-12-06 10:06:20",
            "number": "919876543210",
            "status": "1",
            "desc": "DELIVERED",
        }
    ]


def test_whatsapp_shapes():
    posted = Posted(
        "POST",
        "/x",
        {},
        {
            "To": "whatsapp:+919876543210",
            "ContentSid": CONTENT_SID,
            "ContentVariables": '{"1": "123456"}',
        },
    )
    assert is_whatsapp(posted) and code_of(posted) == "123456"
    form = report("SM1", "failed", "+919876543210", "63003")
    assert (form["To"], form["ErrorCode"], form["MessageStatus"]) == (
        "whatsapp:+919876543210",
        "63003",
        "failed",
    )
    url = "https://billing.example.org/hooks/twilio/status?d=ab"
    assert signature(url, form) != signature(url, form, token=TWILIO_TOKEN + "x")
