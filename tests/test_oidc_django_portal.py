"""A Django portal with mozilla-django-oidc signs in and out through otpauth, in Chromium.

examples/django_portal runs as its own process (``manage.py runserver`` on a free port);
otpauth runs live in this one (tests.oidc_live). A customer signs in on otpauth's pages
by e-mail code and the portal greets them by name and customer type; Django's sign-out
ends the otpauth session (RP-initiated logout); signing out everywhere else on otpauth
ends the Django session (back-channel logout).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["tests.browser_support", "tests.oidc_live"]
PORTAL_DIR = Path(__file__).resolve().parent.parent / "examples" / "django_portal"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_listening(port: int, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("the Django portal did not start")


@pytest.fixture
def oidc_settings() -> dict:
    return {"OTP_RESEND_COOLDOWN_SECONDS": 0}  # the customer signs in three times


@dataclass
class Portal:
    url: str
    client_id: str


@pytest.fixture
def django_portal(oidc_server: Any, tmp_path: Path) -> Iterator[Portal]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    client_id, secret = oidc_server.register(
        [url + "/oidc/callback/"],
        post_logout_uris=[url + "/"],
        backchannel_logout_uri=url + "/backchannel-logout",
        first_party=True,
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "OTPAUTH_ISSUER": oidc_server.url,
        "PORTAL_CLIENT_ID": client_id,
        "PORTAL_CLIENT_SECRET": secret,
        "PORTAL_URL": url,
        "PORTAL_DB": str(tmp_path / "portal.sqlite3"),
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=PORTAL_DIR, env=env, check=True)
    log = tmp_path / "portal.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=PORTAL_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_listening(port, process, log)
            yield Portal(url, client_id)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _sign_in_on_otpauth(page: Any, oidc_server: Any) -> None:
    page.wait_for_url(oidc_server.url + "/otp/request/**")
    page.locator("#contact").fill("test@example.com")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/otp/verify/")
    page.locator("#code").fill(oidc_server.code())
    page.locator("main form:not(.secondary) button[type=submit]").click()


def test_django_portal_signs_in_and_out_through_otpauth(oidc_server, django_portal, new_page):  # noqa: ANN001
    page = new_page()
    page.goto(django_portal.url + "/")
    page.get_by_role("link", name="Sign in").click()
    _sign_in_on_otpauth(page, oidc_server)
    page.wait_for_url(django_portal.url + "/")
    assert page.locator("#who").inner_text() == "Hello Asha Rao (Household)"

    # Django's sign-out takes the otpauth session with it (RP-initiated logout).
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(django_portal.url + "/?state=signed-out")
    assert page.get_by_role("link", name="Sign in").is_visible()
    page.goto(oidc_server.url + "/dashboard/")
    page.wait_for_url(oidc_server.url + "/otp/request/**")

    # Signed in again; then, from another browser, "sign out everywhere else" on otpauth
    # ends this one's Django session too (back-channel logout).
    page.goto(django_portal.url + "/")
    page.get_by_role("link", name="Sign in").click()
    _sign_in_on_otpauth(page, oidc_server)
    page.wait_for_url(django_portal.url + "/")
    assert page.locator("#who").is_visible()
    other = new_page()
    other.goto(oidc_server.url + "/otp/request/")
    other.locator("#contact").fill("test@example.com")
    other.locator("main form button[type=submit]").click()
    other.wait_for_url("**/otp/verify/")
    other.locator("#code").fill(oidc_server.code())
    other.locator("main form:not(.secondary) button[type=submit]").click()
    other.goto(oidc_server.url + "/account/sessions/")
    other.get_by_role("button", name="Sign out everywhere else").click()
    oidc_server.wait_backchannel()
    page.reload()
    assert page.get_by_role("link", name="Sign in").is_visible()
