"""Per-IP limits count networks: spellings of one address and a /64 share one bucket."""

from __future__ import annotations

import itertools
import logging

import pytest

from otpauth.platform.client_ip import MALFORMED, network_of
from otpauth.platform.proxy_bind_check import exposed_binds, is_local_bind, warn_if_exposed
from tests.security_support import csrf_token

SPELLINGS = ["2001:DB8:1:1::1", "2001:db8:1:1:0:0:0:1", "[2001:db8:1:1::1]", "2001:db8:1:1::1"]


@pytest.mark.parametrize("raw", [*SPELLINGS, "2001:db8:1:1:ffff:ffff:ffff:ffff", "2001:db8:1:1::"])
def test_an_ipv6_slash_64_is_one_bucket(raw):
    assert network_of(raw) == "2001:db8:1:1::/64"


def test_the_ipv6_prefix_is_configurable():
    assert network_of("2001:db8:1:1::1", 48) == network_of("2001:db8:1:ffff::1", 48)
    assert network_of("2001:db8:1:1::1", 128) != network_of("2001:db8:1:1::2", 128)


@pytest.mark.parametrize(
    "raw", ["10.20.0.1", "::ffff:10.20.0.1", "[::ffff:10.20.0.1]", "::ffff:a14:1"]
)
def test_ipv4_mapped_ipv6_is_the_ipv4_address(raw):
    assert network_of(raw) == "10.20.0.1"


def test_ipv4_addresses_stay_separate():
    assert network_of("10.20.0.1") != network_of("10.20.0.2")


@pytest.mark.parametrize("raw", ["010.20.0.1", "[::1", "::1]", "", None, "garbage", "1.2.3.4:80"])
def test_malformed_addresses_share_one_bucket(raw):
    assert network_of(raw) == MALFORMED


@pytest.fixture
def settings():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_OTP_REQUEST": "3 per minute"}


CONTACTS = itertools.count()  # a fresh contact per request: only the per-IP limit can refuse


def _post_from(client, token: str, address: str, header: str = "REMOTE_ADDR"):  # noqa: ANN001
    contact = f"nobody{next(CONTACTS)}@example.com"
    data = {"channel": "email", "contact": contact, "csrf_token": token}
    if header == "REMOTE_ADDR":
        return client.post("/otp/request/", data=data, environ_overrides={"REMOTE_ADDR": address})
    return client.post("/otp/request/", data=data, headers={"X-Forwarded-For": address})


def _accepted(client, addresses: list[str], header: str = "REMOTE_ADDR") -> list[int]:  # noqa: ANN001
    token = csrf_token(client)
    answers = [_post_from(client, token, a, header) for a in addresses]
    for answer in answers:
        if answer.status_code == 429:
            assert "from your network" in answer.get_data(as_text=True)
    return [answer.status_code for answer in answers]


def test_many_addresses_of_one_slash_64_are_limited_together(app, client):
    addresses = [f"2001:db8:1:1::{n:x}" for n in range(1, 21)]
    answers = _accepted(client, addresses)
    assert answers[:3] == [302] * 3 and set(answers[3:]) == {429}
    assert _accepted(client, ["2001:db8:1:2::1"]) == [302]  # the next /64 is another client


def test_spellings_of_one_address_share_a_bucket(app, client):
    answers = _accepted(client, [*SPELLINGS, "2001:db8:1:1::abcd"])
    assert answers == [302, 302, 302, 429, 429]


def test_ipv4_and_its_mapped_form_share_a_bucket_and_neighbours_do_not(app, client):
    answers = _accepted(client, ["10.20.0.1", "::ffff:10.20.0.1", "10.20.0.1", "::ffff:10.20.0.1"])
    assert answers == [302, 302, 302, 429]
    assert _accepted(client, ["10.20.0.2", "10.20.0.3"]) == [302, 302]


def test_odd_spellings_fall_into_one_shared_bucket(app, client):
    answers = _accepted(client, ["010.20.0.1", "[::1", "0x0a.20.0.1", "10.020.0.1"])
    assert answers == [302, 302, 302, 429]


@pytest.mark.parametrize(
    "settings",
    [{"RATELIMIT_ENABLED": True, "RATELIMIT_OTP_REQUEST": "3 per minute", "TRUSTED_PROXIES": 1}],
)
def test_behind_a_proxy_the_forwarded_address_is_counted_by_network(app, client, settings):
    answers = _accepted(
        client,
        ["[2001:db8:9:9::1]", "2001:DB8:9:9::2", "2001:db8:9:9::3:3", "2001:db8:9:9::4"],
        "xff",
    )
    assert answers == [302, 302, 302, 429]


@pytest.mark.parametrize(
    ("bind", "local"),
    [
        ("127.0.0.1:8000", True),
        ("[::1]:8000", True),
        ("localhost:8000", True),
        ("unix:/run/otpauth.sock", True),
        ("0.0.0.0:8000", False),
        ("[::]:8000", False),
        (":8000", False),
        ("192.0.2.4:8000", False),
        ("app.example.com:8000", False),
    ],
)
def test_bind_check_knows_loopback_from_public(bind, local):
    assert is_local_bind(bind) is local


def test_public_bind_warns_only_when_proxies_are_trusted(caplog):
    log = logging.getLogger("test.gunicorn")
    assert exposed_binds(["0.0.0.0:8000"], 0) == []
    assert warn_if_exposed(["127.0.0.1:8000", "unix:/x"], 1, log) is False
    with caplog.at_level(logging.WARNING, logger="test.gunicorn"):
        assert warn_if_exposed(["127.0.0.1:8000", "0.0.0.0:8000"], 1, log) is True
    assert len(caplog.records) == 1 and "0.0.0.0:8000" in caplog.records[0].getMessage()
    assert "127.0.0.1:8000" not in caplog.records[0].getMessage()


def test_gunicorn_config_binds_loopback_and_hooks_the_check():
    import runpy
    from pathlib import Path

    from otpauth import ROOT

    conf = runpy.run_path(str(Path(ROOT, "deploy", "gunicorn.conf.py")))
    assert all(is_local_bind(b) for b in conf["bind"])
    assert callable(conf["on_starting"])
