"""Pages and redirects of the contract, enumeration resistance, next handling, health."""

from __future__ import annotations

import re

import pytest

from tests.conftest import code_in, csrf_token


def test_root_redirects_by_login_state(client, auth, customer, outbox):
    assert client.get("/").headers["Location"] == "/otp/request/"
    auth.request()
    auth.verify(code_in(outbox[-1]))
    assert client.get("/").headers["Location"] == "/dashboard/"


def test_dashboard_sends_anonymous_to_request_with_next(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/otp/request/?next=/dashboard/"


def test_request_page_form(client):
    html = client.get("/otp/request/").get_data(as_text=True)
    assert 'name="channel"' in html and 'value="email"' in html and 'value="sms"' in html
    assert 'name="contact"' in html and 'name="csrf_token"' in html
    assert '<label for="contact"' in html


def test_verify_page_without_pending_request_redirects(client):
    assert client.get("/otp/verify/").headers["Location"] == "/otp/request/"


def test_verify_page_shows_masked_contact_attempts_countdown_and_resend(client, auth, customer):
    auth.request()
    html = client.get("/otp/verify/").get_data(as_text=True)
    assert "t***@example.com" in html and "test@example.com" not in html
    assert "5 attempts remaining" in html
    assert 'class="countdown" data-seconds="' in html
    assert 'action="/otp/resend/"' in html
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert '<label for="code"' in html


def test_sms_login_with_local_number(client, auth, customer, sms):
    response = auth.request("98765 43210", channel="sms")
    assert response.headers["Location"] == "/otp/verify/"
    assert sms[-1].to == "+919876543210"
    assert "+91******3210" in client.get("/otp/verify/").get_data(as_text=True)
    assert auth.verify(code_in(sms[-1])).headers["Location"] == "/dashboard/"


def test_unknown_contact_same_answer_nothing_sent_code_never_matches(client, auth, outbox, sms):
    known_shape = auth.request("nobody@example.com")
    assert known_shape.status_code == 302 and known_shape.headers["Location"] == "/otp/verify/"
    assert outbox == [] and sms == []
    html = client.get("/otp/verify/").get_data(as_text=True)
    assert "n***@example.com" in html and "5 attempts remaining" in html
    for guess in ("123456", "000000"):
        assert "Invalid OTP" in auth.verify(guess).get_data(as_text=True)


@pytest.mark.parametrize("contact", ["", "not an address", "a" * 300 + "@example.com"])
def test_bad_contact_is_400_with_message(auth, contact, outbox):
    response = auth.request(contact)
    assert response.status_code == 400
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert outbox == []


def test_bad_code_format_is_400_and_costs_no_attempt(client, auth, customer):
    auth.request()
    response = auth.verify("12ab")
    assert response.status_code == 400 and "6-digit code" in response.get_data(as_text=True)
    assert "5 attempts remaining" in client.get("/otp/verify/").get_data(as_text=True)


@pytest.mark.parametrize("settings", [{"OTP_RESEND_COOLDOWN_SECONDS": 0}])
def test_local_next_is_honoured_foreign_one_ignored(client, auth, customer, outbox, settings):
    auth.request(path="/otp/request/?next=/dashboard/?tab=bills")
    assert auth.verify(code_in(outbox[-1])).headers["Location"] == "/dashboard/?tab=bills"
    auth.logout()
    auth.request(path="/otp/request/?next=https://evil.example/")
    assert auth.verify(code_in(outbox[-1])).headers["Location"] == "/dashboard/"


def test_logout_is_post_only_and_ends_the_session(client, auth, customer, outbox):
    auth.request()
    auth.verify(code_in(outbox[-1]))
    assert client.get("/otp/logout/").status_code == 405
    response = auth.logout()
    assert response.headers["Location"] == "/otp/request/"
    assert client.get("/dashboard/").status_code == 302


def test_post_without_csrf_token_is_400_and_sends_nothing(client, customer, outbox):
    response = client.post(
        "/otp/request/", data={"channel": "email", "contact": "test@example.com"}
    )
    assert response.status_code == 400 and outbox == []
    assert "expired or was not sent from our site" in response.get_data(as_text=True)


def test_cooldown_answers_429_please_wait(client, auth, customer):
    auth.request()
    response = auth.resend()
    assert response.status_code == 429
    assert "Please wait" in response.get_data(as_text=True)
    assert 55 <= int(response.headers["Retry-After"]) <= 60


@pytest.mark.parametrize("settings", [{"OTP_RESEND_COOLDOWN_SECONDS": 0}])
def test_window_limit_answers_429_for_known_and_unknown(client, auth, customer, settings):
    for contact in ("test@example.com", "stranger@example.com"):
        answers = [auth.request(contact).status_code for _ in range(6)]
        assert answers == [302] * 5 + [429]
        assert "Too many requests" in auth.request(contact).get_data(as_text=True)


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.parametrize("settings", [{"REDIS_URL": "redis://127.0.0.1:1/0"}])
def test_healthz_names_redis_when_down(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["redis"] == "unavailable"
    assert response.get_json()["database"] == "ok"


def test_unknown_page_is_our_404(client):
    response = client.get("/nope")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)


def test_csrf_token_helper_sees_the_form(client):
    assert csrf_token(client)


def test_next_given_to_the_verify_page_is_honoured(client, auth, customer, outbox):
    auth.request()
    token = csrf_token(client, "/otp/verify/?next=/dashboard/%3Ftab%3Dusage")
    html = client.get("/otp/verify/?next=/dashboard/").get_data(as_text=True)
    assert 'action="/otp/verify/?next=/dashboard/"' in html
    response = client.post(
        "/otp/verify/?next=/dashboard/?tab=usage",
        data={"code": code_in(outbox[-1]), "csrf_token": token},
    )
    assert response.headers["Location"] == "/dashboard/?tab=usage"


def test_pages_load_nothing_from_other_sites(client, auth, customer, outbox):
    """No CDN: every src and href a page uses is on this site (or a data: URI)."""
    auth.request()
    pages = [client.get("/otp/request/"), client.get("/otp/verify/"), client.get("/nope")]
    auth.verify(code_in(outbox[-1]))
    pages.append(client.get("/dashboard/"))
    for page in pages:
        links = re.findall(r'(?:src|href|action)="([^"]*)"', page.get_data(as_text=True))
        assert links, page.request.path
        for link in links:
            assert link.startswith(("/", "data:", "#")) and not link.startswith("//"), link
    for path in ("/static/app.css", "/static/app.js", "/static/webotp.js"):
        with client.get(path) as asset:
            assert asset.status_code == 200 and b"http" not in asset.data
