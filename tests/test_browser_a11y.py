"""Accessibility in a real browser: axe-core and HTML_CodeSniffer (pa11y's WCAG2AA engine)
on every customer page, in both languages, at 360 px and 1280 px, with zero violations; a
visible focus ring of 3:1 or more on every control reached by Tab. Each page is also saved
as a screenshot (SCREENSHOT_DIR).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest_plugins = ["tests.browser_support"]

EMAIL = "test@example.com"
WIDTHS = {"phone": (360, 740), "desktop": (1280, 800)}

# The contrast of the focus outline against what it is drawn on (the element's parent).
FOCUS_CONTRAST_JS = """() => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  let node = el.parentElement, bg = "rgb(255, 255, 255)";
  while (node) {
    const c = getComputedStyle(node).backgroundColor;
    if (c && c !== "transparent" && rgb(c)[3] !== 0) { bg = c; break; }
    node = node.parentElement;
  }
  const [a, b] = [lum(rgb(style.outlineColor)), lum(rgb(bg))];
  return {
    what: el.tagName + (el.id ? "#" + el.id : "") + " " + el.textContent.trim().slice(0, 30),
    width: parseFloat(style.outlineWidth), style: style.outlineStyle,
    ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
  };
}"""


def walk_pages(page: Any, server: Any, lang: str) -> Iterator[str]:
    """Open every customer page in turn, yielding its name while it is shown."""
    page.goto(server(f"/otp/request/?lang={lang}"))
    yield "request"
    page.locator("#contact").fill("not a contact")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    yield "request-error"
    page.locator("#contact").fill(EMAIL)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/otp/verify/")
    yield "verify"
    page.locator("#code").fill("000000" if server.code() != "000000" else "111111")
    page.locator("main form:not(.secondary) button[type=submit]").click()
    page.wait_for_load_state()
    yield "verify-wrong"
    with page.expect_navigation():  # a resend during the cooldown (the button is disabled)
        page.evaluate("document.querySelector('form.secondary').submit()")
    yield "verify-wait"
    page.locator("#code").fill(server.code())
    page.locator("main form:not(.secondary) button[type=submit]").click()
    page.wait_for_url("**/dashboard/")
    yield "dashboard"
    page.goto(server("/account/sessions/"))
    yield "sessions"
    page.goto(server("/account/authenticator/"))
    yield "authenticator"
    page.goto(server("/otp/request/"))
    yield "signed-in"
    page.goto(server("/nope"))
    yield "404"


@pytest.fixture(params=["en", "hi"])
def lang(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.parametrize("size", list(WIDTHS))
def test_axe_and_pa11y_checks_find_nothing_on_any_page(
    live_server, new_page, lang, size, axe: Callable, htmlcs: Callable, shoot_page: Callable
):
    width, height = WIDTHS[size]
    page = new_page(width, height)
    found = {}
    for name in walk_pages(page, live_server, lang):
        assert page.locator("html").get_attribute("lang") == lang
        shoot_page(page, f"{name}-{lang}-{width}")
        violations = axe(page) + htmlcs(page)
        if violations:
            found[name] = violations
        overflow = page.evaluate("document.documentElement.scrollWidth") - width
        assert overflow <= 0, f"{name}: {overflow}px wider than the screen"
    assert not found, found


def test_focus_ring_is_visible_with_3_to_1_contrast(live_server, page):
    checked = 0
    for name in walk_pages(page, live_server, "en"):
        if name not in ("request", "verify-wrong", "dashboard"):
            continue
        page.locator("body").focus()
        seen = set()
        for _ in range(25):
            page.keyboard.press("Tab")
            ring = page.evaluate(FOCUS_CONTRAST_JS)
            if ring is None or ring["what"] in seen:
                break
            seen.add(ring["what"])
            assert ring["style"] != "none" and ring["width"] >= 2, (name, ring)
            assert ring["ratio"] >= 3, (name, ring)
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize("live_settings", [{"CHALLENGE_MODE": "always"}])
def test_challenge_widget_speaks_the_page_language_and_passes_axe(
    live_server, new_page, live_settings, axe: Callable, shoot_page: Callable
):
    page = new_page(360, 740)
    page.goto(live_server("/otp/request/?lang=hi"))
    widget = page.locator("altcha-widget")
    widget.wait_for()
    assert "मैं रोबोट नहीं हूं" in widget.inner_text()
    shoot_page(page, "request-challenge-hi-360")
    assert axe(page) == []


WHATSAPP_FIRST = {"WHATSAPP_BACKEND": "console", "DELIVERY_PHONE_ORDER": ("whatsapp", "sms")}


@pytest.mark.parametrize("live_settings", [WHATSAPP_FIRST])
@pytest.mark.parametrize("size", list(WIDTHS))
def test_whatsapp_verify_page_and_its_fallback_pass_the_checks(
    live_server, new_page, live_settings, lang, size, axe: Callable, htmlcs: Callable, shoot_page
):
    """Where the code went, and "Send it by text message instead" before and after."""
    width, height = WIDTHS[size]
    page = new_page(width, height)
    page.goto(live_server(f"/otp/request/?lang={lang}"))
    page.locator("#contact").fill("98765 43210")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/otp/verify/")
    found = {}
    for name in ("verify-whatsapp", "verify-fell-back"):
        shoot_page(page, f"{name}-{lang}-{width}")
        violations = axe(page) + htmlcs(page)
        if violations:
            found[name] = violations
        if name == "verify-whatsapp":
            assert page.locator("#fallback").count() == 1
            page.locator("#fallback").click()
            page.wait_for_url("**/otp/verify/")
    assert page.locator("#fallback").count() == 0  # asked: once per request
    assert not found, found
