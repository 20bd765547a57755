"""``/account/authenticator/``: enrolment with a QR code, recovery codes, removal, notices."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Auth, csrf_token
from tests.security_support import EMAIL, events, login
from tests.totp_support import enrol, hotp, no_authenticators, step_now  # noqa: F401

PAGE = "/account/authenticator/"


@pytest.fixture
def signed_in(app, auth, customer, outbox) -> Auth:
    assert login(auth, outbox).status_code == 302
    outbox.clear()
    return auth


def shown_secret(client) -> str:
    html = client.get(PAGE).get_data(as_text=True)
    match = re.search(r'data-totp-secret="([A-Z2-7]+)"', html)
    assert match, "no data-totp-secret on the page"
    return match.group(1)


def assert_unique_ids(html: str) -> None:
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), ids


def post_code(client, code: str, path: str = PAGE):
    return client.post(path, data={"code": code, "csrf_token": csrf_token(client, PAGE)})


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/otp/request/" in response.location


def test_enrolment_page_shows_qr_svg_secret_and_form(signed_in, client):
    html = client.get(PAGE).get_data(as_text=True)
    assert "<svg " in html and 'role="img"' in html and 'class="segno"' in html
    assert re.search(r'data-totp-secret="[A-Z2-7]{32}"', html)
    assert 'name="code"' in html and 'name="csrf_token"' in html
    assert not re.search(r'(src|href)="https?://', html)  # no external request
    assert shown_secret(client) == shown_secret(client)  # a reload keeps the same secret
    assert_unique_ids(html)
    assert "Sign out" in html


def test_interop_enrol_and_sign_in_with_an_independent_totp(app, signed_in, client, outbox, sms):
    secret = shown_secret(client)
    response = post_code(client, hotp(secret, step_now()))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    codes = re.findall(r'<code class="recovery-code">([a-z0-9]{4}-[a-z0-9]{4})</code>', html)
    assert len(set(codes)) == 10
    assert [m.subject for m in outbox] == ["Waste Billing security notice"]
    assert "An authenticator app was added" in outbox[0].text and len(sms) == 1
    assert [e.channel for e in events(app, event="authenticator_added")] == ["app"]
    assert secret not in client.get(PAGE).get_data(as_text=True)  # shown once, then gone
    signed_in.logout()
    signed_in.request(EMAIL, "app")
    response = signed_in.verify(hotp(secret, step_now() + 1))
    assert response.status_code == 302 and response.location.endswith("/dashboard/")


def test_wrong_confirmation_code_is_400_invalid_otp(signed_in, client):
    secret = shown_secret(client)
    right = hotp(secret, step_now())
    response = post_code(client, "000000" if right != "000000" else "111111")
    assert response.status_code == 400 and "Invalid OTP" in response.get_data(as_text=True)
    response = post_code(client, "12")
    assert response.status_code == 400 and "Invalid OTP" in response.get_data(as_text=True)
    assert 'data-totp-secret="' + secret in client.get(PAGE).get_data(as_text=True)


def test_page_with_an_app_shows_when_added_and_removal(app, signed_in, client, customer):
    enrol(app, customer)
    html = client.get(PAGE).get_data(as_text=True)
    assert "It was added on" in html and "data-totp-secret" not in html
    assert 'action="/account/authenticator/remove"' in html
    assert_unique_ids(html)


def test_removal_needs_a_right_code(app, signed_in, client, customer, outbox):
    secret, _ = enrol(app, customer)
    right = hotp(secret, step_now())
    response = post_code(client, "000000" if right != "000000" else "111111", PAGE + "remove")
    assert response.status_code == 400 and "Invalid OTP" in response.get_data(as_text=True)
    response = post_code(client, right, PAGE + "remove")
    assert response.status_code == 302
    assert "data-totp-secret" in client.get(PAGE).get_data(as_text=True)
    assert [e.customer_id for e in events(app, event="authenticator_removed")] == [customer]
    assert "was removed" in outbox[-1].text


def test_removal_with_a_recovery_code(app, signed_in, client, customer):
    _, codes = enrol(app, customer)
    assert post_code(client, codes[0], PAGE + "remove").status_code == 302
    assert len(events(app, event="recovery_code_used")) == 1
    assert len(events(app, event="authenticator_removed")) == 1


def test_recovery_code_sign_in_sends_a_notice(app, auth, customer, outbox, sms):
    _, codes = enrol(app, customer)
    auth.request(EMAIL, "app")
    assert auth.verify(codes[0]).status_code == 302
    assert "recovery code was used" in outbox[-1].text and "recovery code was used" in sms[-1].text


def test_without_csrf_nothing_changes(app, signed_in, client, customer):
    secret = shown_secret(client)
    response = client.post(PAGE, data={"code": hotp(secret, step_now())})
    assert response.status_code == 400
    with app.app_context():
        from otpauth.signin import authenticators

        assert authenticators.get("customer", customer) is None


def test_notice_skips_a_channel_unavailable_to_everyone(app, signed_in, client, outbox, sms):
    from otpauth.delivery import gates

    with app.app_context():
        for _ in range(app.config["DELIVERY_BREAKER_FAILURES"]):
            gates().record("sms", False)
    sms.clear()
    assert post_code(client, hotp(shown_secret(client), step_now())).status_code == 200
    assert [m.subject for m in outbox] == ["Waste Billing security notice"] and sms == []
