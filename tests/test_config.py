"""config.py: defaults, parsing, and the refusals that stop a bad start."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import config
from config import ConfigError
from settings_table import SETTINGS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROD = {
    "OTPAUTH_ENV": "production",
    "SECRET_KEY": "a-long-random-production-secret",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "MAIL_SERVER": "smtp.example.org",  # EMAIL_BACKEND=smtp: both are required (issue 24)
    "MAIL_DEFAULT_SENDER": "no-reply@example.org",
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


def readme_settings_tables() -> tuple[set[str], set[str]]:
    """The names in README's two settings tables: the environment's, and the code's."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    environment, fixed = section.split("\nSet by the code, not read from the environment", 1)

    def first_column_names(text: str) -> set[str]:
        rows = [line.split("|")[1] for line in text.splitlines() if line.startswith("| ")]
        return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)}

    return first_column_names(environment) - {"OTPAUTH_ENV"}, first_column_names(fixed)


def test_readme_documents_every_setting_and_no_other():
    """One table (settings_table.py) defines every setting; README lists each, no more."""
    environment, fixed = readme_settings_tables()
    assert environment == set(config.PARSERS)
    assert fixed == {s.name for s in SETTINGS if s.parse is None}


def test_every_profile_default_comes_from_the_table():
    for name, profile in config.PROFILES.items():
        assert vars(profile) == {s.name: s.value(name) for s in SETTINGS}
    assert len({s.name for s in SETTINGS}) == len(SETTINGS)  # each setting once


def test_no_module_defaults_a_setting_of_its_own():
    """No ``app.config.setdefault`` nor ``app.testing`` branch in the package: the profiles
    (and a test's overrides) say what a setting is."""
    package = Path(__file__).resolve().parent.parent / "otpauth"
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "testing":
                found.append(f"{path.name}:{node.lineno} .testing")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "setdefault"
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr == "config"
            ):
                found.append(f"{path.name}:{node.lineno} config.setdefault")
    assert found == []
