"""A staff member's whole way in: setup link, password, authenticator, then password + code."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from otpauth.platform.extensions import db
from otpauth.signin.models import AuthEvent, Staff
from tests.admin_support import PASSWORD, token_on

pytest_plugins = ("tests.admin_fixtures",)
LINK = re.compile(r"https://localhost(/admin/setup/[A-Za-z0-9_-]+)")
SECRET = re.compile(r'data-totp-secret="([A-Z2-7]+)"')


def set_up(client, runner, role: str = "admin") -> tuple[str, list[str]]:
    """Run the setup link to the end; returns the TOTP secret and the recovery codes."""
    out = runner.invoke(
        args=[
            "staff",
            "create",
            "--email",
            "ravi@ops.example.com",
            "--name",
            "Ravi",
            "--role",
            role,
        ]
    ).output
    link = LINK.search(out).group(1)
    token = token_on(client, link)
    first = client.post(link, data={"password": PASSWORD, "confirm": PASSWORD, "csrf_token": token})
    assert first.headers["Location"] == link
    page = client.get(link).get_data(as_text=True)
    assert "<svg" in page and "Set up your authenticator app" in page
    secret = SECRET.search(page).group(1)
    wrong = client.post(link, data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 400 and "Invalid OTP" in wrong.get_data(as_text=True)
    done = client.post(link, data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    html = done.get_data(as_text=True)
    codes = re.findall(r'<code class="recovery-code">([^<]+)</code>', html)
    assert done.status_code == 200 and len(codes) == 10
    assert client.get(link).status_code == 404  # the link worked once
    return secret, codes


def sign_in(client, code: str, password: str = PASSWORD):
    token = token_on(client, "/admin/login/")
    step1 = client.post(
        "/admin/login/",
        data={"email": "ravi@ops.example.com", "password": password, "csrf_token": token},
    )
    assert step1.headers["Location"] == "/admin/login/verify/", step1.get_data(as_text=True)
    return client.post("/admin/login/verify/", data={"code": code, "csrf_token": token})


def next_code(secret: str) -> str:
    """The code of the next 30-second step (accepted; the current one was spent enrolling)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_setup_then_login_with_password_and_code(app, client, runner, clean_staff):
    secret, _ = set_up(client, runner)
    assert client.get("/admin/").headers["Location"] == "/admin/login/"  # setup is no login
    wrong = sign_in(client, "123456")
    assert wrong.status_code == 400 and "Invalid OTP" in wrong.get_data(as_text=True)
    right = sign_in(client, next_code(secret))
    assert right.status_code == 302 and right.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    token = token_on(client, "/admin/")
    assert client.post("/admin/logout/", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").headers["Location"] == "/admin/login/"
    with app.app_context():
        staff_id = db.session.scalar(select(Staff.id))
        events = db.session.execute(
            select(AuthEvent.event, AuthEvent.staff_id).order_by(AuthEvent.id)
        ).all()
    assert ("staff_login", staff_id) in events and ("staff_logout", staff_id) in events
    assert ("authenticator_added", None) not in events


def test_a_set_up_member_cannot_be_created_again(client, runner, clean_staff):
    set_up(client, runner)
    args = ["--email", "ravi@ops.example.com", "--name", "R", "--role", "support"]
    again = runner.invoke(args=["staff", "create", *args])
    assert again.exit_code == 1 and "already exists" in again.output


def test_a_recovery_code_signs_in_once(client, runner, clean_staff):
    _, codes = set_up(client, runner)
    assert sign_in(client, codes[0]).headers["Location"] == "/admin/"
    other = client.application.test_client()
    assert sign_in(other, codes[0]).status_code == 400


def test_the_code_step_needs_the_password_step(client, runner, clean_staff):
    secret, _ = set_up(client, runner)
    token = token_on(client, "/admin/login/")
    response = client.post(
        "/admin/login/verify/", data={"code": next_code(secret), "csrf_token": token}
    )
    assert response.headers["Location"] == "/admin/login/"


def test_wrong_codes_count_toward_the_lockout(client, runner, clean_staff):
    secret, _ = set_up(client, runner)
    for _ in range(10):
        assert sign_in(client, "999999").status_code == 400
    token = token_on(client, "/admin/login/")
    locked = client.post(
        "/admin/login/",
        data={"email": "ravi@ops.example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert locked.status_code == 429


def test_a_reissued_link_voids_a_half_finished_setup(client, runner, clean_staff):
    args = ["staff", "create", "--email", "ravi@ops.example.com", "--name", "Ravi"]
    link = LINK.search(runner.invoke(args=[*args, "--role", "admin"]).output).group(1)
    token = token_on(client, link)
    client.post(link, data={"password": PASSWORD, "confirm": PASSWORD, "csrf_token": token})
    assert client.get(link).status_code == 200  # the enrolment step
    runner.invoke(args=[*args, "--role", "support"])
    assert client.get(link).status_code == 404
