"""The console in a real browser at a phone's 360 px and a desk's 1280 px: every page passes
axe-core and HTML_CodeSniffer (pa11y's WCAG2AA engine) with zero findings and never scrolls
sideways (wide tables scroll inside their own labelled region), like the customer pages in
``tests/test_browser_a11y.py``. Each page is saved as a screenshot (``SCREENSHOT_DIR``);
``make screenshots`` copies the README's from them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.admin_support import add_staff, sign_in
from tests.console_support import lock_out, seed_history

pytest_plugins = ("tests.browser_support",)

WIDTHS = {"phone": (360, 740), "desktop": (1280, 800)}
REJECTS = {
    "name": "customers.csv",
    "mimeType": "text/csv",
    "buffer": (
        b"name,email,phone,type\nMeena Iyer,meena@example.com,9876500001,Household\n"
        b"No Type,notype@example.com,9876500002,\n"
        b"Ward Office,ward@example.com,+91 80 2222 3333,Institutional\n"
    ),
}


@pytest.fixture
def live_settings() -> dict:
    return {"OTP_MAX_FAILURES_PER_DAY": 2}


def signed_in_page(live_server: Any, new_page: Callable, width: int, height: int) -> Any:
    """A page whose browser holds an admin's complete console login."""
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Staff

    with live_server.app.app_context():
        db.session.query(Staff).delete()
        db.session.commit()
    staff_id = add_staff(live_server.app, "admin")
    client = live_server.app.test_client()
    sign_in(client, staff_id)
    page = new_page(width, height)
    cookie = client.get_cookie(live_server.app.config["SESSION_COOKIE_NAME"])
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return page


def console_paths(customer_id: int) -> dict[str, str]:
    """Each console page a member reads, by the screenshot name it is saved under."""
    return {
        "overview": "/admin/",
        "search": "/admin/customers/?q=test%40example.com",
        "customers": "/admin/customers/",
        "customer": f"/admin/customers/{customer_id}",
        "customer-edit": f"/admin/customers/{customer_id}/edit",
        "customer-new": "/admin/customers/new",
        "confirm-deactivate": f"/admin/customers/{customer_id}/deactivate",
        "confirm-sign-out": f"/admin/customers/{customer_id}/sign-out",
        "audit": "/admin/audit/",
        "import": "/admin/import",
        "staff": "/admin/staff/",
        "staff-new": "/admin/staff/new",
        "not-found": "/admin/customers/999999",
    }


@pytest.mark.parametrize("size", list(WIDTHS))
def test_console_passes_axe_and_pa11y_without_sideways_scroll(
    live_server, new_page, size, axe: Callable, htmlcs: Callable, shoot_page: Callable
):
    width, height = WIDTHS[size]
    seed_history(live_server.app)
    lock_out(live_server.app, live_server.code)
    page = signed_in_page(live_server, new_page, width, height)
    found, wide = {}, {}
    for name, path in console_paths(live_server.customer_id).items():
        page.goto(live_server(path))
        assert page.url == live_server(path), f"{name}: sent elsewhere"
        shoot_page(page, f"admin-{name}-{width}", full_page=False)
        violations = axe(page) + htmlcs(page)
        if violations:
            found[name] = violations
        overflow = page.evaluate("document.documentElement.scrollWidth") - width
        if overflow > 0:
            wide[name] = overflow
    name = "import-report"  # the report of an upload with rejected rows, and its download
    page.goto(live_server("/admin/import"))
    page.set_input_files("#file", files=[REJECTS])
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("a[download='rejected-rows.csv']").count() == 1
    shoot_page(page, f"admin-{name}-{width}", full_page=False)
    found[name] = axe(page) + htmlcs(page)
    wide[name] = page.evaluate("document.documentElement.scrollWidth") - width
    found = {k: v for k, v in found.items() if v}
    wide = {k: v for k, v in wide.items() if v > 0}
    assert found == {}, found
    assert wide == {}, f"wider than the screen by px: {wide}"


def test_wide_tables_scroll_inside_a_labelled_region(live_server, new_page):
    page = signed_in_page(live_server, new_page, 360, 740)
    page.goto(live_server(f"/admin/customers/{live_server.customer_id}"))
    regions = page.locator("div.scroll[role=region]")
    assert regions.count() >= 1
    for i in range(regions.count()):
        region = regions.nth(i)
        assert region.get_attribute("aria-label") or region.get_attribute("aria-labelledby")
        assert region.get_attribute("tabindex") == "0"  # reachable by keyboard to scroll
