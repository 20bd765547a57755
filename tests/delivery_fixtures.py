"""Fixtures for the delivery tests: a real SMTP server, a Twilio stand-in, the worker.

The shared ``app`` fixture installs recording senders; ``real_email`` and ``real_sms`` put
the configured senders back, aimed at the local servers.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from tests.smtp_server import SmtpServer
from tests.twilio_standin import TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN, StandIn, StandInHttpClient


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1, recording what it receives."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(smtp_server: SmtpServer) -> dict:
    """Settings that send e-mail for real to ``smtp_server``."""
    return {
        "EMAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_server.port,
        "MAIL_DEFAULT_SENDER": "Waste Billing <no-reply@billing.example.org>",
        "MAIL_SUPPRESS_SEND": False,  # Flask-Mail suppresses sending in testing by default
        "PUBLIC_HOST": "billing.example.org",
    }


@pytest.fixture
def real_email(app, smtp_server: SmtpServer):  # noqa: ANN001, ANN201
    """The app's configured SMTP sender, in place of the recording one."""
    from otpauth.delivery import build_sender, delivery

    with app.app_context():
        sender = build_sender(app, "email")
        delivery().senders["email"] = sender
    yield sender
    with app.app_context():
        sender.close()


@pytest.fixture
def twilio() -> Iterator[StandIn]:
    """The local stand-in for Twilio's Messages API."""
    with StandIn() as server:
        yield server


@pytest.fixture
def real_sms(app, twilio: StandIn):  # noqa: ANN001, ANN201
    """A Twilio sender using the official client, pointed at the stand-in."""
    from otpauth.delivery import delivery
    from otpauth.delivery.twilio_sms import TwilioSender

    sender = TwilioSender(
        TWILIO_SID, TWILIO_TOKEN, TWILIO_FROM, http_client=StandInHttpClient(twilio.base_url)
    )
    with app.app_context():
        delivery().senders["sms"] = sender
    return sender


@pytest.fixture
def run_worker(app):  # noqa: ANN001, ANN201
    """A function: send what is queued (and retries due now) with the real worker."""
    from otpauth.delivery.worker import build_worker

    def run() -> bool:
        # RQ installs its own SIGINT/SIGTERM handlers; give pytest its own back.
        saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            return build_worker(app).work(burst=True, logging_level="WARNING")
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)

    return run
