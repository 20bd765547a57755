"""A real browser (Debian's Chromium through Playwright) walks the console: staff setup,
login with a computed TOTP code, search, unlock. Screenshots go to ``SCREENSHOT_DIR`` (set it
to ``docs/screenshots`` to refresh the README's).

Without Chromium or Playwright the test skips on a developer's machine; with CI set it fails.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from tests.admin_support import PASSWORD
from tests.conftest import IN_CI, code_in

CHROMIUM = "/usr/bin/chromium"
PORTS = range(18300, 18400)
SHOTS = Path(os.environ.get("SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "otpauth-admin")


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}: CI must run the browser test")
    pytest.skip(reason)


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18300-18399")


@pytest.fixture
def live(sqlite_url: str) -> Iterator:
    """The app on 127.0.0.1 in a thread: embedded Redis, the tests' SQLite, a demo customer."""
    import fakeredis
    from werkzeug.serving import make_server

    from otpauth import create_app
    from otpauth.delivery import RecordingSender, delivery
    from otpauth.extensions import db
    from otpauth.models import Authenticator, AuthEvent, Customer, RecoveryCode, Staff

    app = create_app(
        {
            "DATABASE_URL": sqlite_url,
            "REDIS_CLIENT": fakeredis.FakeRedis(server=fakeredis.FakeServer()),
            "RATELIMIT_ENABLED": False,
            "OTP_MAX_FAILURES_PER_DAY": 2,
        }
    )
    with app.app_context():
        delivery().senders = {"email": RecordingSender(), "sms": RecordingSender()}
        for model in (AuthEvent, RecoveryCode, Authenticator, Staff, Customer):
            db.session.query(model).delete()
        db.session.add(
            Customer(
                name="Asha Rao",
                email="test@example.com",
                phone="+919876543210",
                customer_type="Household",
            )
        )
        db.session.commit()
    server = make_server("127.0.0.1", _free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def page() -> Iterator:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    if not os.path.exists(CHROMIUM):
        _missing(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()


def shoot(page, name: str) -> None:  # noqa: ANN001
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"admin-{name}.png"), full_page=False)


def lock_out_customer(app) -> None:  # noqa: ANN001
    """The demo customer asks for a code and guesses wrong until the daily cap locks them."""
    from tests.conftest import Auth

    auth = Auth(app.test_client())
    auth.request()
    sent = app.extensions["otpauth.delivery"].senders["email"].messages
    wrong = "000000" if code_in(sent[-1]) != "000000" else "111111"
    auth.verify(wrong)
    auth.verify(wrong)


def test_setup_login_search_unlock(live, page):
    app, url = live
    from otpauth.admin import accounts

    with app.app_context():
        _, token = accounts.create("ravi@ops.example.com", "Ravi Kumar", "admin")
    page.goto(f"{url}/admin/setup/{token}")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("main button[type=submit]")
    secret = page.get_attribute("[data-totp-secret]", "data-totp-secret")
    shoot(page, "setup")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("main form button[type=submit]")
    assert page.locator("code.recovery-code").count() == 10

    page.goto(f"{url}/admin/login/")
    page.fill("#email", "ravi@ops.example.com")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))  # the enrolling step is spent
    shoot(page, "login-code")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{url}/admin/")
    lock_out_customer(app)
    page.reload()
    assert page.locator("svg.chart").count() == 14
    shoot(page, "overview")

    page.click("nav >> text=Customers")
    page.fill("#q", "098765 43210")
    page.click("form.search button")
    assert "1 found" in page.inner_text("main")
    shoot(page, "search")
    page.click("text=Asha Rao")
    assert "locked," in page.inner_text("table.state")
    shoot(page, "customer")
    page.click("button:has-text('Unlock')")
    assert "Unlocked:" in page.inner_text("main")
    assert "locked," not in page.inner_text("table.state")
