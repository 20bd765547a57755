"""Ten parallel logins with one right app code: exactly one succeeds (real Redis only)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import csrf_token, require_real_redis
from tests.security_support import EMAIL
from tests.totp_support import enrol, hotp, no_authenticators, step_now  # noqa: F401


@pytest.fixture
def backend() -> str:
    """This module proves atomicity on the real server: no embedded run."""
    require_real_redis()
    return "servers"


@pytest.mark.parametrize("kind", ["app_code", "recovery_code"])
def test_ten_parallel_logins_with_one_right_code_give_one_login(app, auth, client, customer, kind):
    secret, codes = enrol(app, customer)
    code = hotp(secret, step_now()) if kind == "app_code" else codes[0]
    assert auth.request(EMAIL, "app").status_code == 302
    token = csrf_token(client, "/otp/verify/")
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None

    def attempt(_: int) -> int:
        browser = app.test_client()
        browser.set_cookie(name, cookie.value, domain=cookie.domain or "localhost")
        response = browser.post("/otp/verify/", data={"code": code, "csrf_token": token})
        return response.status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(attempt, range(10)))
    assert sorted(statuses) == [302] + [400] * 9
