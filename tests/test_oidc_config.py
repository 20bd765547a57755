"""The OIDC settings and PUBLIC_URL, read and checked by config.py."""

from __future__ import annotations

import pytest

import config
from config import ConfigError


def finalized(environ: dict) -> dict:
    return config.finalize(config.load(environ), "/tmp/otpauth-instance-unused")


def test_defaults_follow_the_contract():
    dev = finalized({"OTPAUTH_ENV": "development", "SECRET_KEY": "k" * 32})
    assert dev["PUBLIC_URL"] == "http://localhost:5000" == dev["OIDC_ISSUER"]
    test = finalized({"OTPAUTH_ENV": "testing", "PUBLIC_HOST": "bills.example.in"})
    assert test["PUBLIC_URL"] == "https://bills.example.in" == test["OIDC_ISSUER"]
    assert (test["OIDC_ID_TOKEN_SECONDS"], test["OIDC_ACCESS_TOKEN_SECONDS"]) == (300, 600)
    assert test["OIDC_REFRESH_TOKEN_SECONDS"] == 2592000 and test["OIDC_SIGNING_ALG"] == "RS256"


def test_public_url_sets_the_host_and_the_issuer():
    s = finalized({"OTPAUTH_ENV": "testing", "PUBLIC_URL": "https://login.example.in/"})
    assert s["PUBLIC_URL"] == "https://login.example.in" == s["OIDC_ISSUER"]
    assert s["PUBLIC_HOST"] == "login.example.in"
    s = finalized({"OTPAUTH_ENV": "testing", "OIDC_ISSUER": "https://id.example.in",
                   "OIDC_SIGNING_ALG": "es256", "OIDC_REFRESH_TOKEN_SECONDS": "0"})  # fmt: skip
    assert s["OIDC_ISSUER"] == "https://id.example.in" and s["OIDC_SIGNING_ALG"] == "ES256"
    assert s["OIDC_REFRESH_TOKEN_SECONDS"] == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PUBLIC_URL", "login.example.in"),
        ("PUBLIC_URL", "ftp://x"),
        ("OIDC_SIGNING_ALG", "HS256"),
        ("OIDC_ID_TOKEN_SECONDS", "abc"),
        ("OIDC_REFRESH_TOKEN_SECONDS", "-1"),
    ],
)
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        finalized({"OTPAUTH_ENV": "testing", name: value})
