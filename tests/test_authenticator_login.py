"""Signing in with an authenticator app: codes, drift, replay, recovery codes, limits."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token
from tests.security_support import EMAIL, PHONE
from tests.totp_support import enrol, hotp, no_authenticators, step_now  # noqa: F401


def request_app(auth, contact: str = EMAIL):
    response = auth.request(contact, "app")
    assert response.status_code == 302 and response.location.endswith("/otp/verify/")
    return response


def test_app_login_sends_nothing_and_logs_in(app, auth, client, customer, outbox, sms):
    secret, _ = enrol(app, customer)
    request_app(auth)
    page = client.get("/otp/verify/").get_data(as_text=True)
    assert "authenticator app" in page and "t***@example.com" in page
    assert "Send me a new code" not in page
    response = auth.verify(hotp(secret, step_now()))
    assert response.status_code == 302 and response.location.endswith("/dashboard/")
    assert outbox == [] and sms == []


def test_app_login_by_phone_contact(app, auth, customer):
    secret, _ = enrol(app, customer)
    request_app(auth, "98765 43210")
    assert auth.verify(hotp(secret, step_now())).location.endswith("/dashboard/")


def test_a_code_works_once(app, auth, customer):
    secret, _ = enrol(app, customer)
    code = hotp(secret, step_now())
    request_app(auth)
    assert auth.verify(code).status_code == 302
    auth.logout()
    request_app(auth)
    response = auth.verify(code)
    assert response.status_code == 400 and "Invalid OTP" in response.get_data(as_text=True)


def test_a_code_used_through_one_contact_is_refused_through_the_other(app, client, customer):
    from tests.conftest import Auth

    secret, _ = enrol(app, customer)
    code = hotp(secret, step_now())
    first, second = Auth(app.test_client()), Auth(app.test_client())
    request_app(first)
    request_app(second, PHONE)
    assert first.verify(code).status_code == 302
    response = second.verify(code)
    assert response.status_code == 400 and "Invalid OTP" in response.get_data(as_text=True)


def _service_login(app, code: str, now: float) -> str:
    """Request by app for the demo contact and verify ``code`` at the injected time."""
    from otpauth.web.auth import service

    with app.test_request_context():
        issued = service.request_code("app", EMAIL)
        result, _ = service.verify_code("app", issued.tag, code, now=now)
    return result.status


def test_one_step_of_drift_each_way_is_accepted_two_are_not(app, customer):
    at = 1_900_000_000.0  # a fixed time: nothing here sleeps or races the clock
    secret, _ = enrol(app, customer, at=at)
    step = int(at) // 30
    assert _service_login(app, hotp(secret, step - 2), at) == "invalid"
    assert _service_login(app, hotp(secret, step + 2), at) == "invalid"
    assert _service_login(app, hotp(secret, step - 1), at) == "ok"
    assert _service_login(app, hotp(secret, step + 1), at) == "ok"
    assert _service_login(app, hotp(secret, step), at) == "invalid"  # older than the last


def test_recovery_code_signs_in_once(app, auth, customer):
    from otpauth.signin import audit

    _, codes = enrol(app, customer)
    request_app(auth)
    assert auth.verify(codes[3].upper()).location.endswith("/dashboard/")
    auth.logout()
    request_app(auth)
    response = auth.verify(codes[3])
    assert response.status_code == 400 and "Invalid OTP" in response.get_data(as_text=True)
    request_app(auth)
    assert auth.verify(codes[4].replace("-", "")).status_code == 302
    with app.app_context():
        assert len(audit.recent(event="recovery_code_used")) == 2


def test_wrong_codes_count_per_request_then_lock(app, auth, customer, settings):
    secret, _ = enrol(app, customer)
    request_app(auth)
    right = hotp(secret, step_now())
    wrong = "000000" if right != "000000" else "111111"
    for left in (4, 3, 2, 1):
        response = auth.verify(wrong)
        assert f"Invalid OTP. {left} attempt" in response.get_data(as_text=True)
    response = auth.verify(wrong)
    assert response.status_code == 400 and "Too many attempts" in response.get_data(as_text=True)
    response = auth.verify(right)  # the request is dead, even for the right code
    assert "Invalid OTP" not in response.get_data(as_text=True)
    assert response.status_code == 400


@pytest.mark.parametrize("settings", [{"OTP_MAX_FAILURES_PER_DAY": 3}])
def test_daily_cap_refuses_the_next_request(app, auth, customer, settings):
    enrol(app, customer)
    request_app(auth)
    for _ in range(3):
        auth.verify("abcd-2345")
    response = auth.request(EMAIL, "app")
    assert response.status_code == 429 and "Too many requests" in response.get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["customers", "unlock", "--email", EMAIL])
    assert "unlocked t***@example.com (app)" in result.output
    assert auth.request(EMAIL, "app").status_code == 302


def _flow(app, contact: str, code: str) -> tuple[int, str, int, str]:
    from tests.conftest import Auth

    auth = Auth(app.test_client())
    first = auth.request(contact, "app")
    page = auth.client.get("/otp/verify/").get_data(as_text=True)
    answer = auth.verify(code)
    text = answer.get_data(as_text=True)
    strip = re.compile(r'value="[^"]*"|<strong>[^<]*</strong>|data-seconds="\d+">[^<]*')
    assert page
    return first.status_code, first.location, answer.status_code, strip.sub("", text)


def test_every_contact_walks_the_same_path(app, customer, outbox, sms):
    """Enrolled, not enrolled, unknown: the same redirect, page and answer to a code."""
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    with app.app_context():
        db.session.add(
            Customer(name="No App", email="noapp@example.com", customer_type="Household")
        )
        db.session.commit()
    enrol(app, customer)
    answers = {_flow(app, c, "123456") for c in (EMAIL, "noapp@example.com", "nobody@example.com")}
    assert len(answers) == 1
    status, location, code_status, text = answers.pop()
    assert status == 302 and location.endswith("/otp/verify/") and code_status == 400
    assert "Invalid OTP. 4 attempts remaining." in text
    assert outbox == [] and sms == []


def test_a_customer_without_an_app_cannot_sign_in_with_any_code(app, auth, customer):
    request_app(auth)
    for code in ("123456", "abcd-2345"):
        assert auth.verify(code).status_code == 400


def test_verify_form_takes_app_codes_and_recovery_codes_only(app, auth, client, customer):
    request_app(auth)
    token = csrf_token(client, "/otp/verify/")
    for typed in ("12345", "abc", "1234-5678", "x" * 300):
        response = client.post("/otp/verify/", data={"code": typed, "csrf_token": token})
        assert response.status_code == 400
        assert "code from your app or a recovery code" in response.get_data(as_text=True)


def test_resend_for_the_app_sends_nothing(app, auth, client, customer, outbox, sms):
    request_app(auth)
    response = auth.resend()  # nothing was sent, so no cooldown either
    assert response.status_code == 302 and outbox == [] and sms == []
