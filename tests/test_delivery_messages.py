"""The message texts: the SMS fits one GSM-7 segment and ends with the WebOTP line; the
e-mail has a clear subject, the code large, the lifetime and the ignore-it line."""

from __future__ import annotations

import re

import pytest

from otpauth.delivery import render_message

# The GSM 03.38 basic character set (no extension table: those characters cost two).
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def test_sms_fits_one_gsm7_segment_and_ends_with_webotp_line(app):
    with app.test_request_context():
        message = render_message("sms", "+919876543210", "042517")
    text = message.text
    assert set(text) <= GSM7, set(text) - GSM7
    assert len(text) <= 160
    assert "Waste Billing" in text and "5 min" in text
    assert text.splitlines()[-1] == "@localhost #042517"
    assert text.startswith("042517 ")  # leading zeros kept, code first for lock screens


@pytest.mark.parametrize("settings", [{"PUBLIC_HOST": "billing.example.org"}])
def test_sms_webotp_line_names_public_host(app, settings):
    with app.test_request_context():
        text = render_message("sms", "+919876543210", "123456").text
    assert text.endswith("\n@billing.example.org #123456")
    assert len(text) <= 160


def test_email_has_subject_large_code_lifetime_and_ignore_line(app):
    with app.test_request_context():
        message = render_message("email", "test@example.com", "042517")
    assert message.subject == "Your Waste Billing sign-in code"
    assert message.to == "test@example.com"
    for part in (message.text, message.html):
        assert "042517" in part
        assert "expires in 5 minutes" in part
        assert "If you did not ask for this code, ignore this message" in part
    large = re.search(r'<p style="([^"]*)">042517</p>', message.html)
    assert large and re.search(r"font-size: *(\d+)px", large.group(1))
    assert int(re.search(r"font-size: *(\d+)px", large.group(1)).group(1)) >= 24


@pytest.mark.parametrize("settings", [{"OTP_TTL_SECONDS": 60}])
def test_lifetime_of_one_minute_is_singular(app, settings):
    with app.test_request_context():
        email = render_message("email", "test@example.com", "123456")
        sms = render_message("sms", "+919876543210", "123456")
    assert "expires in 1 minute." in email.text and "1 minutes" not in email.html
    assert "expires in 1 min." in sms.text
