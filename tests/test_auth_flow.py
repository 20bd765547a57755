"""The login flow through the pages: the checklist's five scenarios and their neighbours."""

from __future__ import annotations

import time

import pytest

from tests.conftest import code_in


def login(auth, outbox) -> str:
    auth.request()
    return code_in(outbox[-1])


def test_success_goes_to_dashboard(client, auth, customer, outbox):
    response = auth.request()
    assert response.status_code == 302
    assert response.headers["Location"] == "/otp/verify/"
    assert len(outbox) == 1 and outbox[0].to == "test@example.com"
    response = auth.verify(code_in(outbox[0]))
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/"
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Asha Rao" in page and "Household" in page


@pytest.mark.parametrize("settings", [{"OTP_TTL_SECONDS": 1}])
def test_expired_code_says_otp_has_expired(client, auth, customer, outbox, settings):
    code = login(auth, outbox)
    time.sleep(2.1)  # real expiry: the Redis key's TTL runs out
    response = auth.verify(code)
    assert "OTP has expired" in response.get_data(as_text=True)
    assert client.get("/dashboard/").status_code == 302


def test_wrong_code_says_invalid_with_attempts_decreasing(client, auth, customer, outbox):
    code = login(auth, outbox)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    first = auth.verify(wrong).get_data(as_text=True)
    second = auth.verify(wrong).get_data(as_text=True)
    assert "Invalid OTP. 4 attempts remaining." in first
    assert "Invalid OTP. 3 attempts remaining." in second


def test_five_wrong_codes_say_too_many_attempts_and_kill_the_code(client, auth, customer, outbox):
    code = login(auth, outbox)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    pages = [auth.verify(wrong).get_data(as_text=True) for _ in range(5)]
    assert "Invalid OTP. 1 attempt remaining." in pages[3]
    assert "Too many attempts" in pages[4] and "no longer valid" in pages[4]
    right = auth.verify(code)
    assert "Too many attempts" in right.get_data(as_text=True)
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.parametrize("settings", [{"OTP_RESEND_COOLDOWN_SECONDS": 0}])
def test_resend_gives_new_code_and_kills_old(client, auth, customer, outbox, settings):
    old = login(auth, outbox)
    response = auth.resend()
    assert response.status_code == 302 and response.headers["Location"] == "/otp/verify/"
    new = code_in(outbox[-1])
    assert len(outbox) == 2
    if new != old:  # one chance in a million that they are equal
        assert "Invalid OTP" in auth.verify(old).get_data(as_text=True)
    assert auth.verify(new).headers["Location"] == "/dashboard/"
