"""The sign-in checklist in a real browser (Chromium), in English and in Hindi.

Success; an expired code; a wrong code with the attempts counting down; five wrong codes;
a resend that kills the old code. Then keyboard only, JavaScript off, a 360 px phone and
the resend countdown.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.browser_support import LiveServer

pytest_plugins = ["tests.browser_support"]

EMAIL = "test@example.com"
# What each language's pages say at each step (the English phrases are the contract's).
SAYS = {
    "en": {
        "welcome": "Welcome, Asha Rao",
        "invalid": "Invalid OTP. {n} attempts remaining.",
        "expired": "OTP has expired",
        "locked": "Too many attempts",
        "resent": "A new code has been sent.",
        "wait": "Please wait",
    },
    "hi": {
        "welcome": "नमस्ते, Asha Rao",
        "invalid": "OTP गलत है। {n} कोशिशें बाकी हैं।",
        "expired": "OTP का समय खत्म हो गया है",
        "locked": "बहुत ज़्यादा कोशिशें हो गईं",
        "resent": "नया कोड भेज दिया गया है।",
        "wait": "रुकें",
    },
}


class Customer:
    """Drives the pages as a person would, by the labels and buttons they see."""

    def __init__(self, page: Any, server: LiveServer, lang: str = "en") -> None:
        self.page, self.server, self.lang = page, server, lang

    def start(self, contact: str = EMAIL) -> None:
        self.page.goto(self.server(f"/otp/request/?lang={self.lang}"))
        self.page.locator("#contact").fill(contact)
        self.page.locator("main form button[type=submit]").click()
        self.page.wait_for_url("**/otp/verify/")

    def enter(self, code: str) -> None:
        self.page.locator("#code").fill(code)
        self.page.locator("main form:not(.secondary) button[type=submit]").click()
        self.page.wait_for_load_state()

    def error(self) -> str:
        return self.page.locator("#code-error").inner_text()

    def wrong(self) -> str:
        return "000000" if self.server.code() != "000000" else "111111"


@pytest.fixture(params=["en", "hi"])
def lang(request: pytest.FixtureRequest) -> str:
    return request.param


def test_success(live_server, page, lang, shoot_page):
    you = Customer(page, live_server, lang)
    you.start()
    assert page.locator("html").get_attribute("lang") == lang
    you.enter(live_server.code())
    page.wait_for_url("**/dashboard/")
    assert SAYS[lang]["welcome"] in page.locator("h1").inner_text()
    shoot_page(page, f"flow-success-{lang}")


def test_expired_code(live_server, page, lang):
    from otpauth.signin.otp import hasher, otp_store

    you = Customer(page, live_server, lang)
    you.start()
    code = live_server.code()
    with live_server.app.app_context():  # the code's lifetime ends now, as Redis would end it
        store = otp_store()
        store.redis.delete(store.keys(hasher().tag("email", EMAIL))["code"])
    you.enter(code)
    assert SAYS[lang]["expired"] in you.error()
    assert "/otp/verify/" in page.url


def test_wrong_code_counts_attempts_down(live_server, page, lang, shoot_page):
    you = Customer(page, live_server, lang)
    you.start()
    you.enter(you.wrong())
    assert SAYS[lang]["invalid"].format(n=4) in you.error()
    you.enter(you.wrong())
    assert SAYS[lang]["invalid"].format(n=3) in you.error()
    assert page.locator("#code").get_attribute("aria-invalid") == "true"
    assert page.get_by_text(re.compile(r"\d+ (attempts remaining|कोशिशें)")).count() == 1
    shoot_page(page, f"flow-wrong-{lang}")


def test_five_wrong_codes(live_server, page, lang):
    you = Customer(page, live_server, lang)
    you.start()
    for _ in range(5):
        you.enter(you.wrong())
    assert SAYS[lang]["locked"] in you.error()
    you.enter(live_server.code())  # even the right code is dead now
    assert SAYS[lang]["locked"] in you.error()


@pytest.mark.parametrize("live_settings", [{"OTP_RESEND_COOLDOWN_SECONDS": 0}])
def test_resend_sends_a_new_code_and_kills_the_old(live_server, page, lang, live_settings):
    you = Customer(page, live_server, lang)
    you.start()
    old = live_server.code()
    page.locator("#resend").click()
    page.wait_for_url("**/otp/verify/")
    assert SAYS[lang]["resent"] in page.locator(".notice").inner_text()
    assert len(live_server.messages()) == 2
    new = live_server.code()
    if old != new:  # one in a million: the new code is the old one
        you.enter(old)
        assert "4" in you.error()
    you.enter(new)
    page.wait_for_url("**/dashboard/")


def test_keyboard_only_login(live_server, page):
    page.goto(live_server("/otp/request/"))
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert skip.bounding_box()["y"] >= 0  # shown when focused
    for _ in range(10):  # on through the header's links to the one field
        if page.evaluate("document.activeElement.id") == "contact":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "contact"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    assert float(outline.replace("px", "")) >= 3
    page.keyboard.type(EMAIL)
    page.keyboard.press("Enter")
    page.wait_for_url("**/otp/verify/")
    assert page.evaluate("document.activeElement.id") == "code"  # the field has focus
    page.keyboard.type(live_server.code())
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/")


def test_javascript_off(live_server, new_page):
    page = new_page(js=False)
    you = Customer(page, live_server)
    you.start()
    assert page.locator("#resend").is_enabled()  # nothing to enable it without JavaScript
    page.locator("#resend").click()
    page.wait_for_load_state()
    notice = page.locator(".notice.error").inner_text()
    assert re.search(r"Please wait \d+ seconds", notice), notice
    you.enter(live_server.code())
    page.wait_for_url("**/dashboard/")


def test_phone_at_360_px(live_server, new_page, lang):
    page = new_page(width=360, height=740)
    you = Customer(page, live_server, lang)
    page.goto(live_server(f"/otp/request/?lang={lang}"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
    footer = page.locator("footer.help li").first.bounding_box()
    assert footer["x"] >= 12 and footer["x"] + footer["width"] <= 360 - 12
    you.start("98765 43210")
    assert len(live_server.messages("sms")) == 1
    you.enter(live_server.code("sms"))
    page.wait_for_url("**/dashboard/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize("live_settings", [{"OTP_RESEND_COOLDOWN_SECONDS": 2}])
def test_resend_countdown(live_server, page, live_settings):
    you = Customer(page, live_server)
    you.start()
    button, note = page.locator("#resend"), page.locator("#resend-wait")
    assert button.is_disabled()
    assert re.search(r"You can ask for a new code in [12] seconds?\.", note.inner_text())
    button.wait_for(state="attached")
    page.wait_for_function("!document.getElementById('resend').disabled", timeout=5000)
    assert note.inner_text() == ""
    button.click()
    page.wait_for_url("**/otp/verify/")
    assert len(live_server.messages()) == 2
