"""The sign-in views' per-IP limits: Flask-Limiter's decorator, each window one atomic call."""

from __future__ import annotations

import itertools

import pytest

from tests.round_trips import command_names, round_trips
from tests.security_support import csrf_token

FRESH = itertools.count()  # a fresh contact per request: only the per-IP limit refuses


def _limited(**settings: object) -> dict:
    return {"RATELIMIT_ENABLED": True, "OTP_RESEND_COOLDOWN_SECONDS": 0, **settings}


def _send(client, token: str):  # noqa: ANN001, ANN202
    contact = f"nobody{next(FRESH)}@example.com"
    form = {"channel": "email", "contact": contact, "csrf_token": token}
    return client.post("/otp/request/", data=form)


@pytest.mark.parametrize(
    "settings",
    [
        _limited(RATELIMIT_OTP_REQUEST="3 per minute; 5 per hour"),  # fixed windows
        _limited(
            RATELIMIT_OTP_REQUEST="3 per minute; 5 per hour", RATELIMIT_STRATEGY="moving-window"
        ),
    ],
)
def test_both_strategies_refuse_the_same_requests(app, client, settings):
    token = csrf_token(client)
    answers = [_send(client, token).status_code for _ in range(5)]
    assert answers == [302, 302, 302, 429, 429]
    refused = _send(client, token)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60


@pytest.mark.parametrize("settings", [_limited(RATELIMIT_OTP_REQUEST="2 per minute; 3 per hour")])
def test_the_longer_window_refuses_after_the_shorter_resets(app, client, redis_client, settings):
    token = csrf_token(client)
    assert [_send(client, token).status_code for _ in range(2)] == [302, 302]
    for key in redis_client.scan_iter("*otpauth-rl/*/minute"):
        redis_client.delete(key)  # the minute is over
    assert _send(client, token).status_code == 302  # the hour's third
    refused = _send(client, token)
    assert refused.status_code == 429 and 60 < int(refused.headers["Retry-After"]) <= 3600


@pytest.mark.parametrize("settings", [_limited()])
def test_each_window_is_counted_in_one_atomic_call(app, client, settings):
    token = csrf_token(client)
    assert _send(client, token).status_code == 302  # the script is loaded now
    with round_trips() as writes:
        assert _send(client, token).status_code == 302
    limit_calls = [w for w in writes if b"otpauth-rl" in b"".join(map(bytes, w))]
    assert len(limit_calls) == 2  # 10 per minute; 60 per hour
    assert {command_names(call)[0] for call in limit_calls} <= {"EVALSHA", "EVAL"}


@pytest.mark.parametrize("settings", [_limited(RATELIMIT_OTP_REQUEST="")])
def test_an_empty_limit_is_no_limit(app, client, settings):
    token = csrf_token(client)
    assert {_send(client, token).status_code for _ in range(12)} == {302}
