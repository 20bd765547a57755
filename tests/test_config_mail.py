"""Production refuses an SMTP set-up with no server or no sender (issue 24): the defaults
`localhost` and `no-reply@localhost` are for development, and a production start that
relied on them would send nothing (or be refused by every provider) without a word."""

from __future__ import annotations

import pytest

import config
from config import ConfigError

PROD = {
    "OTPAUTH_ENV": "production",
    "SECRET_KEY": "a-long-random-production-secret",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "MAIL_SERVER": "smtp.example.org",
    "MAIL_DEFAULT_SENDER": "Waste Billing <no-reply@example.org>",
}


def finalized(environ: dict) -> dict:
    return config.finalize(config.load(environ), "/tmp/otpauth-instance")


@pytest.mark.parametrize("missing", ["MAIL_SERVER", "MAIL_DEFAULT_SENDER"])
def test_production_smtp_needs_a_server_and_a_sender(missing):
    environ = {k: v for k, v in PROD.items() if k != missing}
    with pytest.raises(ConfigError) as caught:
        finalized(environ)
    assert missing in str(caught.value) and "production" in str(caught.value)


@pytest.mark.parametrize("missing", ["MAIL_SERVER", "MAIL_DEFAULT_SENDER"])
def test_blank_counts_as_unset(missing):
    with pytest.raises(ConfigError, match=missing):
        finalized({**PROD, missing: "  "})


def test_production_with_both_set_starts():
    settings = finalized(PROD)
    assert settings["MAIL_SERVER"] == "smtp.example.org"


def test_development_keeps_the_local_defaults():
    settings = finalized({})
    assert settings["MAIL_SERVER"] == "localhost"
    assert settings["MAIL_DEFAULT_SENDER"] == "no-reply@localhost"
