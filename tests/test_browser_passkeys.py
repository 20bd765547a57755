"""Passkeys in a real browser: Debian's Chromium with a CDP virtual authenticator (ctap2,
internal transport, resident keys, user verification), on ``http://localhost:<port>``.

A customer signs in by code, accepts the offered passkey, signs out, signs in with it by
the button and by autofill, and removes it; a staff member adds one and uses it instead
of the authenticator code. The new pages pass axe-core and HTML_CodeSniffer at 360 and
1280 px.
"""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest

from otpauth.platform.redis import get_redis

pytest_plugins = ["tests.browser_support", "tests.passkey_browser_support"]

EMAIL = "test@example.com"


def _sign_in_by_code(page: Any, server: Any) -> None:
    page.goto(server("/otp/request/"))
    page.locator("#contact").fill(EMAIL)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/otp/verify/")
    page.locator("#code").fill(server.code())
    page.locator("main form:not(.secondary) button[type=submit]").first.click()
    page.wait_for_url("**/dashboard/")


def _sign_out(page: Any) -> None:
    """Sign out; the browser lands on the request page (and its passkey autofill)."""
    page.locator("header button:has-text('Sign out')").click()


def _challenges(server: Any) -> set[str]:
    """The sign-in challenges live in Redis (issued, not yet spent)."""
    with server.app.app_context():
        return {k.decode() for k in get_redis().scan_iter("wa:{u:anon:*")}


def _new_challenge(server: Any, known: set[str]) -> str:
    """Wait for the page to ask for a challenge not in ``known``; answer its key."""
    deadline = time.time() + 10
    while time.time() < deadline:
        fresh = _challenges(server) - known
        if fresh:
            return fresh.pop()
        time.sleep(0.05)
    raise AssertionError("the page asked for no sign-in challenge")


def test_offer_button_autofill_and_removal(passkey_server, page, authenticator):
    _sign_in_by_code(page, passkey_server)
    offer = page.locator("[data-passkey-create]")
    assert offer.is_visible()
    offer.locator("button[data-create]").click()
    page.wait_for_url("**/account/passkeys/")
    assert page.locator("tbody tr").count() == 1
    assert len(authenticator.credentials()) == 1

    # The button: the autofill request started on the page the sign-out lands on stays
    # pending (presence off: nobody picks a passkey); the button's request must abort it
    # first (Chromium: "A request is already pending" otherwise). Which challenge is spent
    # tells the two apart: the autofill one must still be there, unused.
    authenticator.presence(False)
    before = _challenges(passkey_server)
    _sign_out(page)
    page.locator("[data-passkey-signin][data-waiting=conditional]").wait_for(state="attached")
    autofill = _new_challenge(passkey_server, before)
    authenticator.presence(True)  # for requests from now on: the pending one still waits
    page.locator("button:has-text('Sign in with a passkey')").click()
    page.wait_for_url("**/dashboard/")
    assert _challenges(passkey_server) - before == {autofill}  # the button's was spent

    # Autofill: the contact field's conditional request, nothing clicked; the virtual
    # authenticator answers it as a person picking the offered passkey would.
    _sign_out(page)
    page.wait_for_url("**/dashboard/")
    assert "passkey" in page.goto(passkey_server("/account/sessions/")).text().lower()

    page.goto(passkey_server("/account/passkeys/"))
    page.locator("tbody button:has-text('Remove')").click()
    page.wait_for_url("**/account/passkeys/")
    assert page.locator("tbody tr").count() == 0


def test_without_webauthn_the_request_page_is_as_before(passkey_server, new_page):
    page = new_page(js=False)
    page.goto(passkey_server("/otp/request/"))
    assert not page.locator("button:has-text('Sign in with a passkey')").is_visible()
    assert page.locator("#contact").get_attribute("autocomplete") == "username webauthn"


@pytest.fixture
def staff_secret(passkey_server) -> str:
    """A set-up admin (password + authenticator); answers the authenticator secret."""
    from tests.admin_support import PASSWORD, add_staff
    from tests.totp_support import enrol

    staff_id = add_staff(passkey_server.app, "admin", password=PASSWORD)
    secret, _ = enrol(passkey_server.app, staff_id, kind="staff")
    return secret


def _staff_password(page: Any, server: Any) -> None:
    from tests.admin_support import PASSWORD

    page.goto(server("/admin/login/"))
    page.fill("#email", "admin@ops.example.com")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/admin/login/verify/")


def test_staff_passkey_instead_of_the_code(passkey_server, page, authenticator, staff_secret):
    _staff_password(page, passkey_server)
    page.fill("#code", pyotp.TOTP(staff_secret).now())
    page.click("main form button[type=submit]")
    page.wait_for_url("**/admin/")
    page.click("a:has-text('Passkeys')")
    page.click("button:has-text('Add a passkey')")
    page.wait_for_function("() => document.querySelectorAll('tbody tr').length === 1")
    page.click("header button:has-text('Sign out')")

    _staff_password(page, passkey_server)
    page.click("button:has-text('Use a passkey')")
    page.wait_for_url("**/admin/")


@pytest.mark.parametrize("width", [360, 1280])
def test_new_pages_pass_axe_and_htmlcs(
    passkey_server, new_page, axe, htmlcs, staff_secret, give_authenticator, width
):
    def check(page: Any) -> list:
        return axe(page) + htmlcs(page)

    stranger = new_page(width=width)
    stranger.goto(passkey_server("/otp/request/"))
    stranger.locator("[data-passkey-signin] button").wait_for()  # shown: the browser has it
    found = {"request": check(stranger)}
    page = new_page(width=width)
    give_authenticator(page)
    _sign_in_by_code(page, passkey_server)
    found["dashboard with the offer"] = check(page)
    page.locator("[data-passkey-create] button[data-create]").click()
    page.wait_for_url("**/account/passkeys/")
    found["passkeys"] = check(page)
    for path in ("/account/sessions/", "/account/contacts/"):
        page.goto(passkey_server(path))
        found[path] = check(page)
    passkey_server.app.config["REAUTH_SECONDS"] = 0
    page.goto(passkey_server("/account/contacts/"))
    found["sign in again"] = check(page)
    staff = new_page(width=width)
    _staff_password(staff, passkey_server)
    staff.locator("[data-passkey-signin] button").wait_for()
    found["staff verify"] = check(staff)
    staff.fill("#code", pyotp.TOTP(staff_secret).now())
    staff.click("main form button[type=submit]")
    staff.wait_for_url("**/admin/")
    staff.goto(passkey_server("/admin/passkeys/"))
    found["staff passkeys"] = check(staff)
    assert found == {name: [] for name in found}
