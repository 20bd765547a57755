"""Issue 19's staff sign-in attacks: e-mail spellings around the lockout, a flood of
Argon2 hashes, the setup secret in the cookie, and weak passwords."""

from __future__ import annotations

import re
import threading

import pytest

from otpauth.platform.redis import get_redis
from otpauth.web.admin import hash_slots
from otpauth.web.admin.passwords import problem
from tests.admin_support import PASSWORD, add_staff, token_on
from tests.test_staff_flow import LINK, SECRET

pytest_plugins = ("tests.admin_fixtures",)
SPELLINGS = ["locktest@ｕtility.example", "locktest@utility。example", "LOCKTEST@ＵTILITY.EXAMPLE"]
WEAK = [
    "Admin@123456",
    "qwerty123456!",
    "1q2w3e4r5t6y",
    "zaq12wsxcde3",
    "Summer2026!!",
    "Passw0rd2026!",
    "trustno1trustno1",
]


def _login(client, email: str, password: str, token: str):  # noqa: ANN001
    data = {"email": email, "password": password, "csrf_token": token}
    return client.post("/admin/login/", data=data)


@pytest.mark.parametrize("known", [True, False])
def test_spellings_of_a_locked_address_are_locked_too(app, client, clean_staff, known):
    if known:
        add_staff(app, "admin", email="locktest@utility.example")
    token = token_on(client, "/admin/login/")
    for _ in range(10):
        assert _login(client, "locktest@utility.example", "wrong", token).status_code == 400
    for spelling in SPELLINGS:
        for password in ("wrong", PASSWORD):
            answer = _login(client, spelling, password, token)
            assert answer.status_code == 429, spelling
            assert int(answer.headers["Retry-After"]) > 3000


def test_spellings_count_into_one_bucket(app, client, clean_staff):
    add_staff(app, "admin", email="locktest@utility.example")
    token = token_on(client, "/admin/login/")
    for n in range(10):
        assert _login(client, SPELLINGS[n % 3], "wrong", token).status_code == 400
    assert _login(client, "locktest@utility.example", PASSWORD, token).status_code == 429


def test_every_password_slot_taken_refuses_at_once_and_customers_still_answer(
    app, client, clean_staff
):
    add_staff(app, "admin")
    token = token_on(client, "/admin/login/")
    with app.app_context():
        held = get_redis()
        held.zadd(hash_slots.KEY, {"other-worker-1": 4e9, "other-worker-2": 4e9})
    busy = _login(client, "admin@ops.example.com", PASSWORD, token)
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
    assert "busy" in busy.get_data(as_text=True)
    assert client.get("/otp/request/").status_code == 200
    held.delete(hash_slots.KEY)
    right = _login(client, "admin@ops.example.com", PASSWORD, token)
    assert right.headers["Location"] == "/admin/login/verify/"
    assert held.zcard(hash_slots.KEY) == 0  # the slot was given back


def test_a_slot_left_by_a_killed_worker_is_taken_back(app, clean_staff):
    with app.app_context():
        get_redis().zadd(hash_slots.KEY, {"dead-1": 1.0, "dead-2": 1.0})
        with hash_slots.slot():
            assert get_redis().zcard(hash_slots.KEY) == 1


def test_slots_taken_concurrently_never_exceed_the_setting(app, clean_staff):
    """Check-and-take is one script: 16 threads racing for 2 slots get at most 2."""
    inside, most, lock, start = [0], [0], threading.Lock(), threading.Barrier(16)

    def contend() -> None:
        with app.app_context():
            start.wait()
            for _ in range(20):
                try:
                    with hash_slots.slot():
                        with lock:
                            inside[0] += 1
                            most[0] = max(most[0], inside[0])
                        with lock:
                            inside[0] -= 1
                except hash_slots.Busy:
                    pass

    threads = [threading.Thread(target=contend) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= most[0] <= app.config["STAFF_PASSWORD_SLOTS"] == 2
    with app.app_context():
        assert get_redis().zcard(hash_slots.KEY) == 0


def _password_step(client, runner) -> tuple[str, str]:  # noqa: ANN001
    args = ["staff", "create", "--email", "ravi@ops.example.com", "--name", "Ravi Kumar"]
    link = LINK.search(runner.invoke(args=[*args, "--role", "admin"]).output).group(1)
    token = token_on(client, link)
    data = {"password": PASSWORD, "confirm": PASSWORD, "csrf_token": token}
    assert client.post(link, data=data).headers["Location"] == link
    return link, token


def test_the_setup_secret_never_sits_readable_in_the_cookie(app, client, runner, clean_staff):
    link, _ = _password_step(client, runner)
    page = client.get(link).get_data(as_text=True)
    secret = SECRET.search(page).group(1)
    raw = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    decoded = app.session_interface.get_signing_serializer(app).loads(raw)
    assert secret not in repr(decoded) and secret not in raw
    assert decoded["admin_setup"]["secret"].startswith("gAAAA")  # Fernet-sealed
    again = client.get(link).get_data(as_text=True)
    assert SECRET.search(again).group(1) == secret  # a reload keeps the same QR code


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused(password):
    assert problem(password, "ravi@ops.example.com", "Ravi Kumar")


def test_the_members_own_details_are_refused_and_good_passwords_pass():
    assert problem("locktest@utility.example", "locktest@utility.example", "Lock Test")
    for own in ("Ravi@ops.example.com1", "ravikumar@ops"):
        assert problem(own, "ravi@ops.example.com", "Ravi Kumar"), own
        assert problem(own) is None  # the same text is strong for someone else
    for good in (PASSWORD, "plum-orbit-canyon-47", "Ru7#kv9!Lp2qZ"):
        assert problem(good, "ravi@ops.example.com", "Ravi Kumar") is None


@pytest.mark.parametrize("password", [*WEAK, "ravi@ops.example.com"])
def test_the_setup_form_refuses_weak_passwords(client, runner, clean_staff, password):
    args = ["staff", "create", "--email", "ravi@ops.example.com", "--name", "Ravi Kumar"]
    link = LINK.search(runner.invoke(args=[*args, "--role", "admin"]).output).group(1)
    token = token_on(client, link)
    data = {"password": password, "confirm": password, "csrf_token": token}
    answer = client.post(link, data=data)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert re.search(r"too (easy to guess|common)", html), html
