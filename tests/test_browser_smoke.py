"""Smoke test of the browser fixtures: the request page opens in Chromium."""

from __future__ import annotations

pytest_plugins = ["tests.browser_support"]


def test_request_page_opens(live_server, page):
    page.goto(live_server("/otp/request/"))
    assert page.locator("h1").inner_text()
    page.fill("#contact", "test@example.com")
    page.click("button[type=submit]")
    page.wait_for_url("**/otp/verify/")
    page.fill("#code", live_server.code())
    page.click("form:not(.secondary) button[type=submit]")
    page.wait_for_url("**/dashboard/")


def test_axe_runs(live_server, page):
    from tests.browser_support import axe_violations, shoot

    page.goto(live_server("/otp/request/"))
    assert isinstance(axe_violations(page), list)
    assert shoot(page, "smoke-request").is_file()
