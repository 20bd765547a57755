"""A real browser (Debian's Chromium through Playwright) walks the console: staff setup,
login with a computed TOTP code, search, unlock.

Uses the live server and browser of ``tests.browser_support`` (it skips on a developer's
machine without Chromium and fails in CI). Screenshots go to ``SCREENSHOT_DIR``; the README's
are refreshed with ``SCREENSHOT_DIR=docs/screenshots pytest tests/test_browser_admin.py``.
"""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.admin_support import PASSWORD
from tests.conftest import Auth

pytest_plugins = ("tests.browser_support",)


@pytest.fixture
def live_settings() -> dict:
    return {"OTP_MAX_FAILURES_PER_DAY": 2}


@pytest.fixture
def staff_token(live_server) -> str:
    """A new admin's setup token (no staff left from earlier tests on the shared database)."""
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Authenticator, RecoveryCode, Staff
    from otpauth.web.admin import accounts

    with live_server.app.app_context():
        for model in (RecoveryCode, Authenticator, Staff):
            db.session.query(model).delete()
        db.session.commit()
        _, token = accounts.create("ravi@ops.example.com", "Ravi Kumar", "admin")
    return token


def seed_history(live_server) -> None:  # noqa: ANN001
    """A month of sign-in events, so the overview's charts have something to show."""
    import random
    from datetime import UTC, datetime, timedelta

    from otpauth.platform.extensions import db
    from otpauth.signin.models import AuthEvent

    rng, now = random.Random(11), datetime.now(UTC)
    kinds = ["otp_requested"] * 5 + ["otp_sent"] * 5 + ["login"] * 4 + ["otp_verify_failed"]
    with live_server.app.app_context():
        db.session.add_all(
            AuthEvent(
                event=rng.choice(kinds),
                channel=rng.choice(["email", "sms"]),
                at=now - timedelta(minutes=rng.randrange(30 * 24 * 60)),
            )
            for _ in range(1500)
        )
        db.session.commit()


def lock_out_customer(live_server) -> None:  # noqa: ANN001
    """The demo customer asks for a code and guesses wrong until the daily cap locks them."""
    auth = Auth(live_server.app.test_client())
    auth.request()
    wrong = "000000" if live_server.code() != "000000" else "111111"
    auth.verify(wrong)
    auth.verify(wrong)


def test_setup_login_search_unlock(live_server, page, shoot_page, staff_token):
    url = live_server.url

    def shoot(name: str) -> None:
        shoot_page(page, f"admin-{name}", full_page=False)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{url}/admin/setup/{staff_token}")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("main button[type=submit]")
    secret = page.get_attribute("[data-totp-secret]", "data-totp-secret")
    shoot("setup")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("main form button[type=submit]")
    assert page.locator("code.recovery-code").count() == 10

    page.goto(f"{url}/admin/login/")
    page.fill("#email", "ravi@ops.example.com")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))  # the enrolling step is spent
    shoot("login-code")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{url}/admin/")
    seed_history(live_server)
    lock_out_customer(live_server)
    page.reload()
    assert page.locator("svg.chart").count() == 14
    shoot("overview")

    page.click("nav >> text=Customers")
    page.fill("#q", "098765 43210")
    page.click("form.search button")
    assert "1 found" in page.inner_text("main")
    shoot("search")
    page.click("text=Asha Rao")
    assert "locked," in page.inner_text("table.state")
    shoot("customer")
    page.click("button:has-text('Unlock')")
    assert "Unlocked:" in page.inner_text("main")
    assert "locked," not in page.inner_text("table.state")


@pytest.mark.parametrize("width", [360, 1280])
def test_console_pages_pass_axe(live_server, new_page, axe, staff_token, width):
    from tests.admin_support import sign_in

    client = live_server.app.test_client()
    with live_server.app.app_context():
        from otpauth.platform.extensions import db
        from otpauth.signin.models import Staff

        staff_id = db.session.query(Staff.id).scalar()
    sign_in(client, staff_id)
    page = new_page(width=width)
    cookie = client.get_cookie(live_server.app.config["SESSION_COOKIE_NAME"])
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    paths = [
        "/admin/",
        "/admin/customers/?q=asha",
        f"/admin/customers/{live_server.customer_id}",
        f"/admin/customers/{live_server.customer_id}/edit",
        "/admin/audit/",
        "/admin/import",
        "/admin/staff/",
    ]
    found = {}
    for path in paths:
        page.goto(live_server(path))
        assert page.url == live_server(path)  # signed in: not sent to the login page
        found[path] = axe(page)
    page.context.clear_cookies()
    for path in ("/admin/login/", f"/admin/setup/{staff_token}"):
        page.goto(live_server(path))
        found[path] = axe(page)
    assert {p: v for p, v in found.items() if v} == {}
