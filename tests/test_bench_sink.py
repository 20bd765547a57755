"""The bench's SMTP sink (bench/smtp_sink.py) reads the right code out of the app's mails."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.conftest import CODE_RE

pytest_plugins = ("tests.delivery_fixtures",)


@pytest.fixture
def settings(smtp_settings):
    return {**smtp_settings, "OTP_RESEND_COOLDOWN_SECONDS": 0}


@pytest.mark.parametrize("lang", ["en", "hi"])  # Hindi's text part is base64
def test_the_sink_finds_the_code_the_standard_parser_finds(
    client, auth, customer, smtp_server, real_email, lang
):
    from bench.smtp_sink import code_in

    client.get(f"/otp/request/?lang={lang}")
    assert auth.request().status_code == 302
    [received] = smtp_server.received
    text = received.message.get_body(("plain",)).get_content()
    assert code_in(received.content) == CODE_RE.search(text).group(1)


class TestTheSinkProcess:
    @pytest.fixture
    def codes(self) -> Iterator:
        from bench.servers import smtp_sink

        with smtp_sink() as codes:
            yield codes

    @pytest.fixture
    def settings(self, smtp_settings, codes) -> dict:  # noqa: ANN001
        return {**smtp_settings, "MAIL_PORT": codes.port, "OTP_RESEND_COOLDOWN_SECONDS": 0}

    def test_a_login_with_the_code_it_reported(self, app, auth, customer, codes):  # noqa: ANN001
        from otpauth.delivery import build_sender, delivery

        with app.app_context():
            sender = delivery().senders["email"] = build_sender(app, "email")
        try:
            for _ in range(2):  # two mails over the one kept connection
                assert auth.request().status_code == 302
                code = codes.code_for("test@example.com")
        finally:
            with app.app_context():
                sender.close()
        assert re.fullmatch(r"\d{6}", code)
        assert auth.verify(code).headers["Location"] == "/dashboard/"
