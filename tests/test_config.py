"""config.py: defaults, parsing, and the refusals that stop a bad start."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import config
from config import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROD = {
    "OTPAUTH_ENV": "production",
    "SECRET_KEY": "a-long-random-production-secret",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def finalized(environ: dict) -> dict:
    return config.finalize(config.load(environ), "/tmp/otpauth-instance")


def test_contract_defaults():
    s = finalized({})
    assert s["ENV_NAME"] == "development"
    assert (s["OTP_LENGTH"], s["OTP_TTL_SECONDS"], s["OTP_MAX_ATTEMPTS"]) == (6, 300, 5)
    assert (s["OTP_RESEND_COOLDOWN_SECONDS"], s["OTP_MAX_REQUESTS"]) == (60, 5)
    assert (s["OTP_REQUEST_WINDOW_SECONDS"], s["OTP_MAX_FAILURES_PER_DAY"]) == (3600, 20)
    assert s["SESSION_LIFETIME_SECONDS"] == 28800 and s["PERMANENT_SESSION_LIFETIME"] == 28800
    assert (s["EMAIL_BACKEND"], s["SMS_BACKEND"]) == ("console", "console")
    assert s["REDIS_URL"] is None and s["DATABASE_URL"].startswith("sqlite:///")
    assert (s["PHONE_DEFAULT_REGION"], s["DELIVERY_MODE"], s["PUBLIC_HOST"]) == (
        "IN",
        "inline",
        "localhost",
    )
    assert s["TRUSTED_PROXIES"] == 0
    assert s["RATELIMIT_ENABLED"] is True  # Flask-Limiter's default, in every profile


def test_environment_overrides_and_types():
    s = finalized(
        {
            "OTP_TTL_SECONDS": " 120 ",
            "MAIL_USE_TLS": "true",
            "SMS_BACKEND": "Twilio",
            "PHONE_DEFAULT_REGION": "gb",
            "RATELIMIT_ENABLED": "false",
            "RATELIMIT_OTP_VERIFY": "3 per minute",
        }
    )
    assert s["OTP_TTL_SECONDS"] == 120 and s["MAIL_USE_TLS"] is True
    assert s["SMS_BACKEND"] == "twilio" and s["PHONE_DEFAULT_REGION"] == "GB"
    assert s["RATELIMIT_ENABLED"] is False and s["RATELIMIT_OTP_VERIFY"] == "3 per minute"


def test_other_profiles_default_to_real_backends():
    s = finalized({"OTPAUTH_ENV": "testing"})
    assert (s["EMAIL_BACKEND"], s["SMS_BACKEND"]) == ("smtp", "twilio")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OTP_TTL_SECONDS", "abc"),
        ("OTP_TTL_SECONDS", "-5"),
        ("OTP_MAX_ATTEMPTS", "0"),
        ("OTP_LENGTH", "3"),
        ("MAIL_PORT", "99999"),
        ("MAIL_USE_TLS", "maybe"),
        ("EMAIL_BACKEND", "pigeon"),
        ("DELIVERY_MODE", "later"),
        ("PHONE_DEFAULT_REGION", "India"),
        ("OTPAUTH_ENV", "staging"),
        ("RATELIMIT_ENABLED", "perhaps"),
    ],
)
def test_bad_value_names_the_variable(name, value):
    with pytest.raises(ConfigError) as caught:
        finalized({name: value})
    assert name in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("missing_or_bad", "named"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"REDIS_URL": ""}, "REDIS_URL"),
        ({"EMAIL_BACKEND": "console"}, "EMAIL_BACKEND"),
        ({"SMS_BACKEND": "console"}, "SMS_BACKEND"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ],
)
def test_production_refuses_unsafe_setups(missing_or_bad, named):
    with pytest.raises(ConfigError) as caught:
        finalized({**PROD, **missing_or_bad})
    assert named in str(caught.value)


def test_production_with_everything_set_starts():
    s = finalized(PROD)
    assert s["SESSION_COOKIE_SECURE"] is True and s["SESSION_COOKIE_HTTPONLY"] is True
    assert s["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_tls_and_ssl_together_are_refused():
    with pytest.raises(ConfigError, match="MAIL_USE_SSL"):
        finalized({"MAIL_USE_TLS": "1", "MAIL_USE_SSL": "1"})


def test_bad_setting_stops_the_real_start_with_one_line():
    env = {k: v for k, v in os.environ.items() if k not in config.PARSERS}
    env.update(OTPAUTH_ENV="development", OTP_TTL_SECONDS="abc")
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 4  # gunicorn: "App failed to load", no respawning
    assert result.stderr.strip() == (
        "otpauth: configuration error: OTP_TTL_SECONDS='abc' is not a whole number"
    )


def test_gunicorn_stops_on_a_bad_setting_instead_of_respawning_workers():
    env = {k: v for k, v in os.environ.items() if k not in config.PARSERS}
    env.update(OTPAUTH_ENV="development", OTP_MAX_ATTEMPTS="0")
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    result = subprocess.run(
        [gunicorn, "--bind", "127.0.0.1:0", "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "OTP_MAX_ATTEMPTS='0' must be at least 1" in result.stderr
    assert "Traceback" not in result.stderr
