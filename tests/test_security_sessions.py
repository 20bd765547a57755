"""Sessions, headers and the answers an attacker compares: fixation, cookie flags, lifetime,
CSP, enumeration, inactive customers, CSRF, open redirects and replay."""

from __future__ import annotations

import re
import time
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from otpauth import ROOT
from tests.security_support import (
    EMAIL,
    add_customer,
    code_in,
    csrf_token,
    dispose,
    https_client,
    login,
    notice,
    production_app,
    wrong,
)


def session_of(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)


def test_login_starts_a_new_session(app, client, auth, customer, outbox):
    auth.request()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker before the login"
    auth.verify(code_in(outbox[-1]))
    after = session_of(client)
    assert "planted" not in after and "otp" not in after
    assert after["_user_id"] == str(customer)


def test_login_rotates_the_csrf_token_so_the_dashboard_writes_no_cookie(
    app, client, auth, customer, outbox
):
    client.get("/otp/request/")
    before = session_of(client)["csrf_token"]
    auth.request()
    auth.verify(code_in(outbox[-1]))
    after = session_of(client)["csrf_token"]
    assert after != before  # a new token with the new session (no fixation)
    page = client.get("/dashboard/")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert session_of(client)["csrf_token"] == after


def test_cookie_is_httponly_and_lax(app, client):
    cookie = client.get("/otp/request/").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http in development and tests


@pytest.fixture
def prod(monkeypatch, redis_client, database_url):
    app = production_app(monkeypatch, redis_client, database_url)
    yield app
    dispose(app)


def test_production_cookie_is_secure_and_hsts_is_sent(prod):
    client = https_client(prod)
    response = client.get("/otp/request/")
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_login_session_expires_after_its_lifetime(app, client, auth, customer, outbox):
    response = login(auth, outbox)
    cookie = response.headers["Set-Cookie"]
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert abs(expires.timestamp() - time.time() - 28800) < 60  # the default, 8 h
    assert client.get("/dashboard/").status_code == 200
    # The server's record decides: 8 h and a second later, even a busy session is over.
    later = time.time() + 28801
    app.extensions["otpauth.sessions"].clock = lambda: later
    assert client.get("/dashboard/").headers["Location"].startswith("/otp/request/")
    assert "_user_id" not in session_of(client) and "_sid" not in session_of(client)


def test_session_without_login_time_is_not_trusted(app, client, customer):
    with client.session_transaction() as session:
        session.update({"_user_id": str(customer), "_fresh": True})
    assert client.get("/dashboard/").status_code == 302


def test_deactivated_customer_is_logged_out(app, client, auth, customer, outbox):
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    login(auth, outbox)
    with app.app_context():
        db.session.get(Customer, customer).active = False
        db.session.commit()
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.parametrize("path", ["/otp/request/", "/dashboard/", "/nowhere", "/healthz"])
def test_security_headers_on_every_answer(app, client, auth, customer, outbox, path):
    login(auth, outbox)
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers.get("Cache-Control") == "no-store" or path == "/nowhere"  # no page, no data
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin")
    assert "Strict-Transport-Security" not in headers  # production only


def test_pages_need_no_inline_script_or_style():
    """The CSP forbids inline code, so no page template may carry any."""
    pages = [p for p in Path(ROOT, "templates").rglob("*.html") if p.parent.name != "email"]
    assert len(pages) >= 8  # mail bodies are not pages: the CSP does not apply to them
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), page
        assert not re.search(r"\son[a-z]+\s*=|javascript:|<style|\sstyle=", html), page


def _verify_text(response) -> str:
    html = response.get_data(as_text=True)
    html = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", html)
    return re.sub(r"<strong>[^<]*</strong>", "", html)  # the masked contact they typed


def test_unknown_and_inactive_get_the_same_answers_as_customers(app, client, customer, outbox):
    add_customer(app, name="Gone", email="gone@example.com", active=False)
    answers = []
    for contact in (EMAIL, "nobody@example.com", "gone@example.com"):
        client = app.test_client()
        token = csrf_token(client)
        data = {"channel": "email", "contact": contact, "csrf_token": token}
        first = client.post("/otp/request/", data=data)
        bad = client.post("/otp/verify/", data={"code": "000000", "csrf_token": token})
        again = client.post("/otp/request/", data=data)  # inside the resend cooldown
        answers.append(
            (first.status_code, first.headers.get("Location"), bad.status_code)
            + (_verify_text(bad), again.status_code, notice(again))
        )
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][4] == 429 and "Please wait" in answers[0][5]
    assert len(outbox) == 1 and outbox[0].to == EMAIL  # only the customer got a message


def test_forms_without_csrf_token_change_nothing(app, client, auth, customer, outbox):
    response = client.post("/otp/request/", data={"channel": "email", "contact": EMAIL})
    assert response.status_code == 400 and outbox == []
    assert "otp" not in session_of(client)
    auth.request()
    code = code_in(outbox[-1])
    assert client.post("/otp/verify/", data={"code": code}).status_code == 400
    assert client.post("/otp/resend/").status_code == 400 and len(outbox) == 1
    assert "_user_id" not in session_of(client)
    auth.verify(code)
    assert client.post("/otp/logout/").status_code == 400
    assert client.get("/dashboard/").status_code == 200  # still logged in


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/%2F%2Fevil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        " //evil.example",
        "/\t/evil.example",  # browsers drop tabs and newlines: this is //evil.example
        "/\n/evil.example",
    ],
)
def test_next_never_leaves_the_site(app, client, auth, customer, outbox, target):
    path = "/otp/request/?next=" + quote(target, safe="")
    auth.request(path=path)
    location = auth.verify(code_in(outbox[-1])).headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert urlsplit(location).netloc == "" and urlsplit(location).scheme == ""


def test_next_to_a_local_page_is_kept(app, client, auth, customer, outbox):
    auth.request(path="/otp/request/?next=/dashboard/")
    assert auth.verify(code_in(outbox[-1])).headers["Location"] == "/dashboard/"


def test_a_used_code_cannot_be_replayed(app, client, auth, customer, outbox):
    auth.request()
    pending = session_of(client)["otp"]  # what an attacker copying the cookie would hold
    code = code_in(outbox[-1])
    assert auth.verify(code).headers["Location"] == "/dashboard/"
    thief = app.test_client()
    token = csrf_token(thief)
    with thief.session_transaction() as session:
        session["otp"] = pending
    response = thief.post("/otp/verify/", data={"code": code, "csrf_token": token})
    assert "OTP has expired" in response.get_data(as_text=True)
    assert "_user_id" not in session_of(thief)


def test_a_replaced_code_stops_working(app, client, auth, customer, outbox, redis_client):
    auth.request()
    old = code_in(outbox[-1])
    redis_client.delete(*redis_client.keys("otp:*:cool"))  # the cooldown has passed
    auth.resend()
    new = code_in(outbox[-1])
    if new != old:
        assert "Invalid OTP" in notice(auth.verify(old))
    assert "Invalid OTP" in notice(auth.verify(wrong(new)))
