"""The sign-in views' per-IP limits in one Redis call, and Flask-Limiter's path otherwise."""

from __future__ import annotations

import itertools

import pytest

from otpauth import ip_limits
from tests.round_trips import command_names, round_trips
from tests.security_support import csrf_token

FRESH = itertools.count()  # a fresh contact per request: only the per-IP limit refuses


def _limited(**settings: object) -> dict:
    return {"RATELIMIT_ENABLED": True, "OTP_RESEND_COOLDOWN_SECONDS": 0, **settings}


def _send(client, token: str):  # noqa: ANN001, ANN202
    contact = f"nobody{next(FRESH)}@example.com"
    form = {"channel": "email", "contact": contact, "csrf_token": token}
    return client.post("/otp/request/", data=form)


@pytest.mark.parametrize("settings", [_limited()])
def test_the_default_settings_take_the_one_call_path(app, settings):
    assert app.extensions[ip_limits.FAST] is True


@pytest.mark.parametrize(
    "settings",
    [
        _limited(RATELIMIT_STRATEGY="moving-window"),
        _limited(RATELIMIT_HEADERS_ENABLED=True),
        _limited(RATELIMIT_DEFAULT="100 per minute"),
        _limited(RATELIMIT_APPLICATION="100 per minute"),
        _limited(RATELIMIT_FAIL_ON_FIRST_BREACH=False),
        _limited(RATELIMIT_STORAGE_URI="memory://"),
        _limited(RATELIMIT_SOMETHING_NEW="on"),  # a setting this module does not know
        {"RATELIMIT_ENABLED": False},
    ],
)
def test_any_other_setting_hands_the_views_to_flask_limiter(app, settings):
    assert app.extensions[ip_limits.FAST] is False


@pytest.mark.parametrize(
    "settings",
    [
        _limited(RATELIMIT_OTP_REQUEST="3 per minute; 5 per hour"),  # one call
        _limited(
            RATELIMIT_OTP_REQUEST="3 per minute; 5 per hour", RATELIMIT_STRATEGY="moving-window"
        ),
    ],
)
def test_both_paths_refuse_the_same_requests(app, client, settings):
    token = csrf_token(client)
    answers = [_send(client, token).status_code for _ in range(5)]
    assert answers == [302, 302, 302, 429, 429]
    refused = _send(client, token)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60


@pytest.mark.parametrize("settings", [_limited(RATELIMIT_OTP_REQUEST="2 per minute; 3 per hour")])
def test_the_longer_window_refuses_after_the_shorter_resets(app, client, redis_client, settings):
    token = csrf_token(client)
    assert [_send(client, token).status_code for _ in range(2)] == [302, 302]
    for key in redis_client.scan_iter("otpauth-rl:*/minute"):
        redis_client.delete(key)  # the minute is over
    assert _send(client, token).status_code == 302  # the hour's third
    refused = _send(client, token)
    assert refused.status_code == 429 and 60 < int(refused.headers["Retry-After"]) <= 3600


@pytest.mark.parametrize("settings", [_limited()])
def test_a_view_counts_all_its_windows_in_one_round_trip(app, client, settings):
    token = csrf_token(client)
    assert _send(client, token).status_code == 302  # the script is loaded now
    with round_trips() as writes:
        assert _send(client, token).status_code == 302
    limit_calls = [w for w in writes if b"otpauth-rl" in b"".join(map(bytes, w))]
    assert len(limit_calls) == 1
    assert command_names(limit_calls[0])[0] in ("EVALSHA", "EVAL")


@pytest.mark.parametrize("settings", [_limited(RATELIMIT_OTP_REQUEST="")])
def test_an_empty_limit_is_no_limit(app, client, settings):
    token = csrf_token(client)
    assert {_send(client, token).status_code for _ in range(12)} == {302}
