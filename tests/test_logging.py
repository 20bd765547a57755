"""No secrets in logs: in the production profile, at DEBUG, no record holds a code, an e-mail
address or a phone number, whatever the login went through."""

from __future__ import annotations

import logging

import pytest

from config import ConfigError
from otpauth.delivery import DeliveryError, FailingSender
from tests.security_support import (
    Auth,
    add_customer,
    code_in,
    dispose,
    https_client,
    production_app,
    wrong,
)

# Every form a contact takes: as typed, normalized, E.164 and the bare national number.
SECRETS = ["test@example.com", "TEST@EXAMPLE.COM", "+919876543210", "9876543210", "98765 43210"]


@pytest.fixture
def prod(monkeypatch, redis_client, database_url):
    app = production_app(
        monkeypatch,
        redis_client,
        database_url,
        OTP_RESEND_COOLDOWN_SECONDS=0,
        RATELIMIT_OTP_VERIFY="3 per minute",
    )
    add_customer(app, email="test@example.com", phone="+919876543210")
    yield app
    dispose(app)


def _text_of(record: logging.LogRecord) -> str:
    """Everything a handler could write for ``record``: message, arguments, traceback."""
    parts = [record.getMessage(), repr(record.args), record.name]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


def test_whole_login_logs_no_code_and_no_contact(prod, caplog):
    caplog.set_level(logging.DEBUG)
    client = https_client(prod)
    auth = Auth(client)
    senders = prod.extensions["otpauth.delivery"].senders
    outbox, sms = senders["email"].messages, senders["sms"].messages
    codes = []

    auth.request("TEST@EXAMPLE.COM")  # sent
    codes.append(code_in(outbox[-1]))
    auth.verify(wrong(codes[-1]))  # a wrong guess
    auth.resend()
    codes.append(code_in(outbox[-1]))
    auth.verify(codes[-1])  # logged in
    client.get("/dashboard/")
    auth.logout()

    auth.request("98765 43210", "sms")
    codes.append(code_in(sms[-1]))
    senders["sms"] = FailingSender(DeliveryError("test: Twilio down", temporary=True))
    auth.resend()  # a failed send: logged with the contact masked
    auth.verify(wrong(codes[-1]))
    auth.verify(wrong(codes[-1]))  # over the per-IP verify limit: 429, logged by the limiter
    client.post("/otp/request/", data={"channel": "email", "contact": "test@example.com"})  # CSRF

    records = caplog.records
    assert any("sms to +91******3210 failed for good" in r.getMessage() for r in records)
    assert any("ratelimit" in r.getMessage() for r in records)
    for record in records:
        text = _text_of(record)
        for secret in SECRETS + codes:
            assert secret not in text, f"{secret!r} leaked in {record.name}: {text[:200]}"


def test_production_refuses_console_senders(monkeypatch, redis_client, database_url):
    """Codes are never printed: the console backends cannot run in production."""
    with pytest.raises(ConfigError, match="EMAIL_BACKEND=console is refused"):
        production_app(monkeypatch, redis_client, database_url, EMAIL_BACKEND="console")
