"""The passkey settings: RP ID and origins from PUBLIC_URL, REAUTH_SECONDS, and passkeys
off (one start-up line saying why) when the host is an IP address."""

from __future__ import annotations

import pytest

import config
from config import ConfigError


def finalized(environ: dict) -> dict:
    return config.finalize(config.load(environ), "/tmp/otpauth-instance-unused")


def test_defaults_follow_public_url():
    dev = finalized({"OTPAUTH_ENV": "development", "SECRET_KEY": "k" * 32})
    assert dev["WEBAUTHN_RP_ID"] == "localhost"
    assert dev["WEBAUTHN_ORIGINS"] == ("http://localhost:5000",)
    assert dev["PASSKEYS_ENABLED"] is True and dev["REAUTH_SECONDS"] == 600
    prod_like = finalized(
        {"OTPAUTH_ENV": "testing", "PUBLIC_URL": "https://login.example.in:8443/"}
    )
    assert prod_like["WEBAUTHN_RP_ID"] == "login.example.in"
    assert prod_like["WEBAUTHN_ORIGINS"] == ("https://login.example.in:8443",)


def test_explicit_settings_win():
    s = finalized(
        {
            "OTPAUTH_ENV": "testing",
            "PUBLIC_URL": "https://login.example.in",
            "WEBAUTHN_RP_ID": "example.in",
            "WEBAUTHN_ORIGINS": "https://login.example.in, https://pay.example.in",
            "REAUTH_SECONDS": "120",
        }
    )
    assert s["WEBAUTHN_RP_ID"] == "example.in"
    assert s["WEBAUTHN_ORIGINS"] == ("https://login.example.in", "https://pay.example.in")
    assert s["REAUTH_SECONDS"] == 120


@pytest.mark.parametrize(
    ("name", "value"),
    [("REAUTH_SECONDS", "abc"), ("REAUTH_SECONDS", "-5"), ("WEBAUTHN_ORIGINS", "localhost:5000")],
)
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        finalized({"OTPAUTH_ENV": "testing", name: value})


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "http://[::1]:5000"])
def test_an_ip_host_turns_passkeys_off_with_one_line(url):
    s = finalized({"OTPAUTH_ENV": "testing", "PUBLIC_URL": url})
    assert s["PASSKEYS_ENABLED"] is False
    lines = [w for w in config.start_warnings(s) if "passkey" in w.lower()]
    assert len(lines) == 1 and "IP address" in lines[0]


class TestOffInTheApp:
    @pytest.fixture
    def settings(self) -> dict:
        return {"PUBLIC_URL": "http://127.0.0.1:5000"}

    def test_no_button_and_no_endpoints(self, client, caplog):
        page = client.get("/otp/request/").get_data(as_text=True)
        assert "data-passkey-signin" not in page and "webauthn" not in page
        from tests.passkey_support import page_csrf, post_json

        token = page_csrf(client, "/otp/request/")
        assert post_json(client, "/passkey/options", {}, token).status_code == 404
        assert post_json(client, "/passkey/verify", {}, token).status_code == 404

    def test_the_start_logs_one_line_saying_why(self, caplog, app):
        said = [r.getMessage() for r in caplog.get_records("setup") if "passkey" in r.getMessage()]
        assert len(said) == 1 and "IP address" in said[0]
