"""``/account/sessions/``: the list, This device, revoke one, revoke the others, 404s."""

from __future__ import annotations

import re

from tests.security_support import EMAIL, add_customer, csrf_token, events, login
from tests.session_support import plant_session

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"


def browser(app, user_agent: str, ip: str):  # noqa: ANN001
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": user_agent, "REMOTE_ADDR": ip})
    return client


def signed_in(app, outbox, user_agent: str, ip: str):  # noqa: ANN001
    """A browser that went through the login pages."""
    from tests.conftest import Auth

    client = browser(app, user_agent, ip)
    redis = app.extensions["otpauth.redis"]
    for key in redis.scan_iter("otp:*:cool"):  # the resend cooldown has passed
        redis.delete(key)
    login(Auth(client), outbox)
    return client


def revoke_urls(html: str) -> list[str]:
    return re.findall(r'action="(/account/sessions/[0-9a-f]+/revoke)"', html)


def test_page_lists_browsers_ips_and_this_device(app, customer, outbox):
    laptop = signed_in(app, outbox, CHROME, "203.0.113.5")
    signed_in(app, outbox, FIREFOX, "198.51.100.9")
    page = laptop.get("/account/sessions/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Chrome 120 on Windows 10" in html and "Firefox 121 on Linux" in html
    assert "203.0.113.5" in html and "198.51.100.9" in html
    assert html.count("This device") == 1
    assert html.index("Chrome 120") < html.index("This device") < html.index("Firefox 121")
    assert len(revoke_urls(html)) == 1  # only the other one has a form
    assert "IST" in html  # times in DISPLAY_TIMEZONE (Asia/Kolkata)
    sid = app.extensions["otpauth.sessions"].list("customer", customer)[0].sid
    assert sid.rsplit(":", 1)[1] not in html  # the page never shows a session's secret


def test_dashboard_links_to_the_sessions_page(app, client, auth, customer, outbox):
    login(auth, outbox)
    assert 'href="/account/sessions/"' in client.get("/dashboard/").get_data(as_text=True)


def test_revoke_one_ends_that_browser_only(app, customer, outbox):
    laptop = signed_in(app, outbox, CHROME, "203.0.113.5")
    phone = signed_in(app, outbox, FIREFOX, "198.51.100.9")
    html = laptop.get("/account/sessions/").get_data(as_text=True)
    token = csrf_token(laptop, "/account/sessions/")
    answer = laptop.post(revoke_urls(html)[0], data={"csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"] == "/account/sessions/"
    assert phone.get("/dashboard/").status_code == 302
    assert laptop.get("/dashboard/").status_code == 200
    assert [e.reason for e in events(app, event="session_revoked")] == ["one"]


def test_two_browsers_and_revoke_others(app, customer, outbox):
    laptop = signed_in(app, outbox, CHROME, "203.0.113.5")
    phone = signed_in(app, outbox, FIREFOX, "198.51.100.9")
    tablet = signed_in(app, outbox, FIREFOX, "198.51.100.10")
    token = csrf_token(phone, "/account/sessions/")
    answer = phone.post("/account/sessions/revoke-others", data={"csrf_token": token})
    assert answer.status_code == 302
    assert "Signed out 2 other sessions" in phone.get("/account/sessions/").get_data(as_text=True)
    assert laptop.get("/dashboard/").status_code == 302
    assert tablet.get("/dashboard/").status_code == 302
    assert phone.get("/dashboard/").status_code == 200
    assert len(app.extensions["otpauth.sessions"].list("customer", customer)) == 1
    assert [e.customer_id for e in events(app, event="session_revoked")] == [customer]


def test_another_customers_session_is_404(app, customer, outbox):
    other = add_customer(app, name="Ravi", email="ravi@example.com")
    theirs = app.test_client()
    their_sid = plant_session(theirs, app, other)
    mine = signed_in(app, outbox, CHROME, "203.0.113.5")
    token = csrf_token(mine, "/account/sessions/")
    public = app.extensions["otpauth.sessions"].get(their_sid).public_id
    for target in (public, "0" * 20, "x"):
        answer = mine.post(f"/account/sessions/{target}/revoke", data={"csrf_token": token})
        assert answer.status_code == 404
    assert theirs.get("/dashboard/").status_code == 200
    assert events(app, event="session_revoked") == []


def test_pages_need_a_customer_login_and_a_csrf_token(app, client, customer, outbox):
    answer = client.get("/account/sessions/")
    assert answer.headers["Location"] == "/otp/request/?next=/account/sessions/"
    assert client.post("/account/sessions/revoke-others").status_code == 400
    laptop = signed_in(app, outbox, CHROME, "203.0.113.5")
    assert laptop.post("/account/sessions/revoke-others").status_code == 400
    assert EMAIL
