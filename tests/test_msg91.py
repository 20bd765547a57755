"""MSG91 as an SMS backend (SMS_BACKEND=msg91): its HTTP API through ``requests`` against a
stand-in on a free port, its failures mapped like Twilio's, its delivery-report webhook."""

from __future__ import annotations

import json

import pytest

from config import ConfigError
from otpauth import create_app
from otpauth.delivery import DeliveryError, Message, build_sender, delivery, msg91
from tests.msg91_standin import (
    DELIVERED,
    FAILED,
    MSG91_AUTH_KEY,
    MSG91_SENDER,
    MSG91_TEMPLATE_ID,
    REJECTED,
    Msg91StandIn,
    Reply,
    report_form,
    request_id,
)
from tests.security_support import events
from tests.sms_samples import BOTH

HI_TEMPLATE_ID = "1107160000000000002"
TOKEN = "msg91-webhook-secret"  # noqa: S105 - the test's


@pytest.fixture
def msg91_server():
    with Msg91StandIn() as server:
        yield server


@pytest.fixture
def extra() -> dict:
    """More settings for one test (parametrize it)."""
    return {}


@pytest.fixture
def settings(msg91_server, extra):
    return {
        **extra,
        "MSG91_AUTH_KEY": MSG91_AUTH_KEY,
        "MSG91_SENDER_ID": MSG91_SENDER,
        "MSG91_DLT_TEMPLATE_ID": MSG91_TEMPLATE_ID,
        "MSG91_BASE_URL": msg91_server.base_url,
        "MSG91_WEBHOOK_TOKEN": TOKEN,
        "SMS_DLT_TEMPLATE": json.loads(BOTH),
        "SMS_DLT_TEMPLATE_ID": {"hi": HI_TEMPLATE_ID},
    }


@pytest.fixture
def sender(app):
    """The configured MSG91 sender, in place of the recording one."""
    with app.app_context():
        app.config["SMS_BACKEND"] = "msg91"
        built = delivery().senders["sms"] = build_sender(app, "sms")
    assert isinstance(built, msg91.Msg91Sender)
    return built


def test_a_code_goes_out_as_msg91_documents_it(client, auth, customer, msg91_server, sender):
    assert auth.request("9876543210", "sms").headers["Location"] == "/otp/verify/"
    [received] = msg91_server.received
    assert received.path == "/api/v2/sendsms"
    assert received.headers["authkey"] == MSG91_AUTH_KEY
    body = received.body
    assert (body["sender"], body["route"], body["unicode"]) == (MSG91_SENDER, "4", 0)
    assert body["DLT_TE_ID"] == MSG91_TEMPLATE_ID  # no per-language id for English
    [sms] = body["sms"]
    assert sms["to"] == ["919876543210"]
    code = sms["message"][:6]
    assert sms["message"].endswith(f"@localhost #{code}")
    assert auth.verify(code).headers["Location"] == "/dashboard/"


def test_hindi_goes_as_unicode_with_its_own_template(client, auth, customer, msg91_server, sender):
    client.get("/otp/request/?lang=hi")
    auth.request("9876543210", "sms")
    [received] = msg91_server.received
    assert received.body["unicode"] == 1
    assert received.body["DLT_TE_ID"] == HI_TEMPLATE_ID
    assert "आपका" in received.body["sms"][0]["message"]


@pytest.mark.parametrize(
    ("reply", "temporary", "said"),
    [
        (Reply.error(500, "Internal Server Error"), True, "MSG91 error 500"),
        (Reply.error(503, "Service Unavailable"), True, "MSG91 error 503"),
        (Reply.error(429, "Too many requests"), True, "MSG91 error 429"),
        (Reply.malformed(), True, "without its JSON"),
        (Reply.malformed(200, b'{"status": "ok"}'), True, "without its JSON"),
        (Reply.malformed(502, b"<html>bad gateway</html>"), True, "MSG91 error 502"),
        (Reply.error(401, "Authentication failure"), False, "HTTP 401"),
        (Reply.error(400, "Mobile no. 919876543210 not valid"), False, "HTTP 400"),
        (Reply.error(200, "Template not approved"), False, "Template not approved"),
        (Reply.malformed(403, b"forbidden"), False, "HTTP 403"),
    ],
)
def test_failures_are_classified(app, msg91_server, sender, reply, temporary, said):
    msg91_server.replies = [reply]
    with pytest.raises(DeliveryError) as caught:
        sender.send(Message(to="+919876543210", text="x"))
    assert caught.value.temporary is temporary
    assert said in str(caught.value)
    assert "9876543210" not in str(caught.value)  # no number reaches a log line


def test_a_stuck_answer_times_out_as_temporary(app, msg91_server, sender, monkeypatch):
    monkeypatch.setattr(msg91, "TIMEOUT", (1.0, 0.2))
    msg91_server.replies = [Reply.slow(1.0)]
    with pytest.raises(DeliveryError) as caught:
        sender.send(Message(to="+919876543210", text="x"))
    assert caught.value.temporary and "did not answer in time" in str(caught.value)


def test_unreachable_msg91_is_temporary(app, msg91_server, sender):
    msg91_server.shutdown()
    msg91_server.server_close()  # nothing listens on the port any more
    with pytest.raises(DeliveryError) as caught:
        sender.send(Message(to="+919876543210", text="x"))
    assert caught.value.temporary and "unreachable" in str(caught.value)


@pytest.mark.parametrize(
    "extra", [{"DELIVERY_BREAKER_FAILURES": 2, "OTP_RESEND_COOLDOWN_SECONDS": 0}]
)
def test_failures_open_the_same_breaker(app, client, auth, customer, msg91_server, sender):
    msg91_server.replies = [Reply.error(401, "Authentication failure")] * 2
    for _ in range(2):
        auth.request("9876543210", "sms")
    reasons = [e.reason for e in events(app) if e.event == "otp_send_failed"]
    assert reasons == ["permanent", "permanent"]
    response = auth.request("9876543210", "sms")
    assert response.status_code == 503
    assert "Text messages are unavailable right now" in response.get_data(as_text=True)


def test_an_unknown_backend_is_a_config_error(sqlite_url):
    import fakeredis

    with pytest.raises(ConfigError) as caught:
        create_app(
            {
                "DATABASE_URL": sqlite_url,
                "REDIS_CLIENT": fakeredis.FakeRedis(),
                "SMS_BACKEND": "fax",
            }
        )
    assert "SMS_BACKEND='fax' must be one of: console, msg91, twilio" in str(caught.value)


def test_production_names_a_missing_msg91_setting(sqlite_url):
    import fakeredis

    settings = {
        "ENV_NAME": "production",
        "SECRET_KEY": "a-long-random-production-key-0123456789",
        "DATABASE_URL": sqlite_url,
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "REDIS_CLIENT": fakeredis.FakeRedis(),
        "EMAIL_BACKEND": "smtp",
        "SMS_BACKEND": "msg91",
        "MSG91_AUTH_KEY": "key",
    }
    with pytest.raises(ConfigError) as caught:
        create_app(settings)
    assert "MSG91_SENDER_ID is required when SMS_BACKEND=msg91" in str(caught.value)


def hook(client, form: dict, token: str | None = TOKEN):  # noqa: ANN001, ANN201
    path = "/hooks/msg91/status" + (f"?token={token}" if token is not None else "")
    return client.post(path, data=form)


def test_reports_are_audited_once(app, client, customer):
    delivered = report_form(request_id(1), "919876543210", DELIVERED)
    failed = report_form(request_id(2), "919876543210", FAILED)
    for form in (delivered, delivered, failed):  # a replay is acknowledged, not audited
        assert hook(client, form).status_code == 204
    rows = [(e.event, e.customer_id, e.channel, e.reason) for e in events(app)]
    assert rows == [
        ("otp_delivered", customer, "sms", None),
        ("otp_undelivered", customer, "sms", "msg91:2"),
    ]


def test_a_json_report_is_read_too(app, client, customer):
    body = {"requestId": request_id(3), "number": "919876543210", "status": REJECTED}
    response = client.post(f"/hooks/msg91/status?token={TOKEN}", json=body)
    assert response.status_code == 204
    assert [(e.event, e.reason) for e in events(app)] == [("otp_undelivered", "msg91:16")]


def test_an_interim_status_is_acknowledged_only(app, client):
    assert hook(client, report_form(request_id(4), "919876543210", "8")).status_code == 204
    assert events(app) == []


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x"])
def test_without_the_secret_403(app, client, token):
    form = report_form(request_id(1), "919876543210", DELIVERED)
    assert hook(client, form, token).status_code == 403
    assert events(app) == []


@pytest.mark.parametrize(
    "form",
    [{"data": "not json"}, {"data": "[]"}, {"data": '[{"report": []}]'}, {"data": "[1, 2]"}, {}],
)
def test_a_malformed_report_is_400(app, client, form):
    assert hook(client, form).status_code == 400
    assert events(app) == []
