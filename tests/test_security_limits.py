"""Bounded guessing and flooding: the daily failure cap per contact, per-IP limits.

Every app test runs on fakeredis and, with TEST_REDIS_URL, on the real Redis server.
"""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token
from tests.security_support import code_in, events, notice, tag_of, wrong

CAP = {
    "OTP_MAX_FAILURES_PER_DAY": 7,
    "OTP_RESEND_COOLDOWN_SECONDS": 0,
    "OTP_MAX_REQUESTS": 100,
}


def _burn(auth, outbox, contact: str, guesses: int) -> str:
    """Request a code for ``contact`` and type ``guesses`` wrong ones; return the real one."""
    before = len(outbox)
    assert auth.request(contact).status_code == 302
    code = code_in(outbox[-1]) if len(outbox) > before else "000000"
    for _ in range(guesses):
        assert auth.verify(wrong(code)).status_code == 400
    return code


@pytest.mark.parametrize("settings", [CAP])
def test_daily_failure_cap_refuses_requests_with_429(
    app, auth, customer, outbox, redis_client, settings
):
    _burn(auth, outbox, "test@example.com", 5)  # the first code dies after 5 guesses
    code = _burn(auth, outbox, "test@example.com", 2)  # 7 failures: the day's cap
    assert "Too many attempts" in auth.verify(code).get_data(as_text=True)  # even the right one

    refused = auth.request()
    assert refused.status_code == 429
    assert "Too many requests" in notice(refused)
    # The wait is the rest of the day's window, far past the hourly send window.
    assert 86000 < int(refused.headers["Retry-After"]) <= 86400
    fails = f"otp:{{{tag_of(app, 'email', 'test@example.com')}}}:fails"
    assert int(redis_client.get(fails)) == 7
    assert 86000 < redis_client.ttl(fails) <= 86400
    assert len(outbox) == 2  # nothing more was sent
    assert events(app, event="otp_rate_limited")


@pytest.mark.parametrize("settings", [CAP])
def test_daily_cap_answers_unknown_contacts_the_same(app, auth, customer, outbox, settings):
    for contact in ("test@example.com", "nobody@example.com"):
        _burn(auth, outbox, contact, 5)
        _burn(auth, outbox, contact, 2)
    known, unknown = auth.request("test@example.com"), auth.request("nobody@example.com")
    assert known.status_code == unknown.status_code == 429
    assert notice(known) == notice(unknown)


@pytest.mark.parametrize("settings", [{**CAP, "OTP_MAX_FAILURES_PER_DAY": 3}])
def test_cap_counts_across_codes_and_channels_separately(app, auth, customer, outbox, settings):
    _burn(auth, outbox, "test@example.com", 3)
    assert auth.request().status_code == 429
    # The SMS contact has its own counter (SECURITY.md doubles the bound for this).
    assert auth.request("9876543210", "sms").status_code == 302


def _limited(settings: dict) -> dict:
    return {"RATELIMIT_ENABLED": True, "OTP_RESEND_COOLDOWN_SECONDS": 0, **settings}


@pytest.mark.parametrize("settings", [_limited({"RATELIMIT_OTP_REQUEST": "3 per minute"})])
def test_per_ip_limit_on_request_says_when_to_retry(app, auth, redis_client, settings):
    for i in range(3):
        assert auth.request(f"user{i}@example.com").status_code == 302
    response = auth.request("user9@example.com")
    assert response.status_code == 429
    assert "Too many requests" in response.get_data(as_text=True)
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert [e.ip for e in events(app, event="otp_rate_limited")] == ["127.0.0.1"]
    # The counters live in the app's Redis (shared by every worker), each with a TTL.
    keys = redis_client.keys("*otpauth-rl/127.0.0.1/*")  # Flask-Limiter's keys, per client
    assert keys and all(0 < redis_client.ttl(k) <= 60 for k in keys)


@pytest.mark.parametrize(
    "settings",
    [_limited({"RATELIMIT_OTP_REQUEST": "2 per minute", "RATELIMIT_HEADERS_ENABLED": False})],
)
def test_retry_after_even_without_rate_limit_headers(app, auth, settings):
    auth.request("a@example.com"), auth.request("b@example.com")
    response = auth.request("c@example.com")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60


@pytest.mark.parametrize("settings", [_limited({"RATELIMIT_OTP_VERIFY": "3 per minute"})])
def test_per_ip_limit_on_verify(app, auth, customer, outbox, settings):
    auth.request()
    for _ in range(3):
        assert auth.verify("000000").status_code == 400
    response = auth.verify(code_in(outbox[-1]))  # even the right code: the IP is over
    assert response.status_code == 429 and "Retry-After" in response.headers


@pytest.mark.parametrize("settings", [_limited({"RATELIMIT_OTP_RESEND": "2 per minute"})])
def test_per_ip_limit_on_resend(app, auth, customer, outbox, settings):
    auth.request()
    assert [auth.resend().status_code for _ in range(2)] == [302, 302]
    response = auth.resend()
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert len(outbox) == 3


@pytest.mark.parametrize("settings", [_limited({"OTP_MAX_REQUESTS": 100})])
@pytest.mark.parametrize(("view", "allowed"), [("request", 10), ("verify", 30), ("resend", 5)])
def test_default_per_ip_limits(app, auth, customer, settings, view, allowed):
    if view != "request":
        auth.request()
    send = {
        "request": lambda i: auth.request(f"u{i}@example.com"),
        "verify": lambda i: auth.verify("000000"),
        "resend": lambda i: auth.resend(),
    }[view]
    responses = [send(i) for i in range(allowed + 1)]
    assert [r.status_code for r in responses[:allowed]].count(429) == 0
    assert responses[-1].status_code == 429
    assert "from your network" in responses[-1].get_data(as_text=True)


@pytest.mark.parametrize(
    "settings", [_limited({"RATELIMIT_OTP_REQUEST": "2 per minute", "TRUSTED_PROXIES": 1})]
)
def test_trusted_proxy_gives_each_client_its_own_bucket(app, client, auth, settings):
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.1"
    assert [auth.request(f"a{i}@example.com").status_code for i in range(3)] == [302, 302, 429]
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.2"
    assert auth.request("b@example.com").status_code == 302
    assert {e.ip for e in events(app, event="otp_requested")} == {"203.0.113.1", "203.0.113.2"}


@pytest.mark.parametrize("settings", [_limited({"RATELIMIT_OTP_REQUEST": "2 per minute"})])
def test_forwarded_for_is_ignored_without_trusted_proxies(app, client, auth, settings):
    for i in range(2):
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{i}"
        assert auth.request(f"a{i}@example.com").status_code == 302
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.99"  # a spoofed fresh address
    assert auth.request("b@example.com").status_code == 429
    assert {e.ip for e in events(app)} == {"127.0.0.1"}


@pytest.mark.parametrize("settings", [_limited({"RATELIMIT_DEFAULT": "3 per minute"})])
def test_ops_default_limit_applies_to_the_otp_views_too(app, client, customer, settings):
    token = csrf_token(client)  # the page view counts as one
    form = {"channel": "email", "csrf_token": token}
    answers = [
        client.post("/otp/request/", data={**form, "contact": f"u{i}@example.com"}).status_code
        for i in range(3)
    ]
    assert answers == [302, 302, 429]


@pytest.mark.parametrize("settings", [_limited({"RATELIMIT_APPLICATION": "3 per minute"})])
def test_ops_application_limit_counts_every_page(app, client, customer, settings):
    answers = [client.get(path).status_code for path in ("/otp/request/", "/", "/otp/request/")]
    assert answers[-1] != 429 and client.get("/otp/request/").status_code == 429


def _spy_on_limit_passes(monkeypatch) -> list[bool]:  # noqa: ANN001
    """Whether each of Flask-Limiter's limit resolutions was its before-request pass."""
    from otpauth.platform.extensions import limiter

    passes: list[bool] = []
    resolve = limiter.limit_manager.resolve_limits

    def spied(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        passes.append(args[4] if len(args) > 4 else kwargs["in_middleware"])
        return resolve(*args, **kwargs)

    monkeypatch.setattr(limiter.limit_manager, "resolve_limits", spied)
    return passes


@pytest.mark.parametrize("settings", [_limited({})])
def test_without_app_wide_limits_pages_are_not_looked_at(app, client, monkeypatch, settings):
    passes = _spy_on_limit_passes(monkeypatch)
    assert client.get("/otp/request/").status_code == 200
    assert client.get("/").status_code in (200, 302)
    assert passes == []  # ip_limits.unlimited_read: no limit counts a GET
    token = csrf_token(client)
    form = {"channel": "email", "contact": "u@example.com", "csrf_token": token}
    assert client.post("/otp/request/", data=form).status_code == 302
    assert passes == [True, False]  # a POST: the before-request pass and the view's limit


@pytest.mark.parametrize("settings", [_limited({"RATELIMIT_APPLICATION": "100 per minute"})])
def test_with_an_app_wide_limit_every_page_is_looked_at(app, client, monkeypatch, settings):
    passes = _spy_on_limit_passes(monkeypatch)
    assert client.get("/otp/request/").status_code == 200
    assert passes == [True]
