"""E-mail through a real SMTP server (aiosmtpd on 127.0.0.1), inline mode."""

from __future__ import annotations

import re

import pytest

from otpauth.delivery import DeliveryError, Message
from otpauth.signin import audit

pytest_plugins = ("tests.delivery_fixtures",)

CODE_RE = re.compile(r"\b(\d{6})\b")


@pytest.fixture
def settings(smtp_settings):
    return {**smtp_settings, "OTP_RESEND_COOLDOWN_SECONDS": 0}


def test_code_mail_arrives_well_formed_and_logs_in(client, auth, customer, smtp_server, real_email):
    assert auth.request().headers["Location"] == "/otp/verify/"
    [received] = smtp_server.received
    assert received.mail_from == "no-reply@billing.example.org"
    assert received.rcpt_tos == ["test@example.com"]
    mail = received.message
    assert mail["From"] == "Waste Billing <no-reply@billing.example.org>"
    assert mail["To"] == "test@example.com"
    assert mail["Subject"] == "Your Waste Billing sign-in code"
    assert mail["Date"] and mail["Date"].datetime.tzinfo is not None
    assert re.fullmatch(r"<[^@>]+@billing\.example\.org>", mail["Message-ID"])
    assert "multipart/alternative" in [part.get_content_type() for part in mail.walk()]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    code = CODE_RE.search(text).group(1)
    assert f">{code}</p>" in html and "font-size: 32px" in html
    assert "expires in 5 minutes" in text and "ignore this message" in text
    response = auth.verify(code)
    assert response.headers["Location"] == "/dashboard/"
    assert "Asha Rao" in client.get("/dashboard/").get_data(as_text=True)


def test_one_connection_is_kept_and_replaced_when_dropped(app, smtp_server, real_email):
    message = Message(to="a@example.com", subject="s", text="t")
    with app.app_context():
        real_email.send(message)
        real_email.send(message)
        smtp_server.restart()  # the server drops the kept connection
        real_email.send(message)
    peers = [r.peer for r in smtp_server.received]
    assert len(peers) == 3
    assert peers[0] == peers[1] and peers[2] != peers[1]
    assert real_email.connections_opened == 2


@pytest.mark.parametrize(
    ("reply", "temporary"),
    [("451 4.3.0 Try again later", True), ("550 5.1.1 No such user", False)],
)
def test_smtp_replies_are_classified(app, smtp_server, real_email, reply, temporary):
    smtp_server.handler.rcpt_replies = [reply]
    with app.app_context(), pytest.raises(DeliveryError) as caught:
        real_email.send(Message(to="a@example.com", subject="s", text="t"))
    assert caught.value.temporary is temporary
    assert reply[:3] in str(caught.value)
    assert smtp_server.received == []


def test_refused_connection_is_temporary(app, smtp_server, real_email):
    smtp_server.stop()
    with app.app_context(), pytest.raises(DeliveryError) as caught:
        real_email.send(Message(to="a@example.com", subject="s", text="t"))
    assert caught.value.temporary is True
    assert "ConnectionRefusedError" in str(caught.value)


def test_permanent_refusal_is_audited_not_shown(app, auth, customer, smtp_server, real_email):
    """The page cannot say the send failed: a stranger's page would then differ."""
    smtp_server.handler.rcpt_replies = ["550 5.1.1 No such user"]
    response = auth.request()
    assert response.headers["Location"] == "/otp/verify/"
    with app.app_context():
        [event] = audit.recent(event="otp_send_failed")
    assert (event.customer_id, event.channel, event.reason) == (customer, "email", "permanent")


def test_inline_pool_sends_off_the_request_thread_over_one_connection(
    app, auth, customer, smtp_server, real_email
):
    import threading

    threads = []
    original = real_email.send
    real_email.send = lambda message: (
        threads.append(threading.current_thread().name) or original(message)
    )
    auth.request()
    auth.resend()
    assert len(smtp_server.received) == 2
    assert smtp_server.received[0].peer == smtp_server.received[1].peer
    assert real_email.connections_opened == 1
    assert all(name.startswith("otpauth-send") for name in threads) and len(threads) == 2
