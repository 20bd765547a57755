"""Staff accounts: the CLI, passwords, the one-time setup link, the password step, lockout."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from otpauth.platform.extensions import db
from otpauth.signin.models import AuthEvent, Staff, utcnow
from otpauth.web.admin import passwords
from tests.admin_support import PASSWORD, add_staff, token_on

pytest_plugins = ("tests.admin_fixtures",)
LINK = re.compile(r"https://localhost/admin/setup/([A-Za-z0-9_-]{40,})")  # PUBLIC_URL


def create(runner, email: str = "Ops@Example.com", role: str = "support"):
    return runner.invoke(
        args=["staff", "create", "--email", email, "--name", "Ravi Ops", "--role", role]
    )


def test_create_prints_a_link_and_stores_only_its_hash(app, runner, clean_staff):
    result = create(runner)
    assert result.exit_code == 0, result.output
    token = LINK.search(result.output).group(1)
    with app.app_context():
        staff = db.session.scalar(select(Staff))
        assert staff.email == "ops@example.com" and staff.role == "support"
        assert staff.setup_token_hash != token and token not in staff.setup_token_hash
        assert staff.password_hash is None
        first_hash = staff.setup_token_hash
    assert "setup pending" in runner.invoke(args=["staff", "list"]).output
    again = create(runner)  # setup never finished: a new link, the first one void
    assert again.exit_code == 0 and LINK.search(again.output).group(1) != token
    with app.app_context():
        assert db.session.scalar(select(Staff.setup_token_hash)) != first_hash
    assert create(runner, role="root").exit_code == 2
    assert create(runner, email="nope").exit_code == 1


def test_list_and_deactivate(app, runner, clean_staff):
    assert "no staff yet" in runner.invoke(args=["staff", "list"]).output
    staff_id = add_staff(app, "admin")
    assert runner.invoke(args=["staff", "deactivate", str(staff_id)]).exit_code == 0
    assert "inactive" in runner.invoke(args=["staff", "list"]).output
    missing = runner.invoke(args=["staff", "deactivate", "999"])
    assert missing.exit_code == 1 and "no staff member with id 999" in missing.output


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("short", False),
        ("password1234", False),
        ("Password@2026", False),
        ("QWERTYUIOP123", False),
        ("aaaaaaaaaaaaaaaa", False),
        ("correct horse battery staple", True),
        ("7g!Tz-2mQ#r8Lw", True),
    ],
)
def test_password_rules(password, accepted):
    assert (passwords.problem(password) is None) is accepted


def test_common_list_is_shipped():
    assert len(passwords.common_passwords()) > 3000
    assert all(len(p) >= 12 for p in passwords.common_passwords())


def _link(runner) -> str:
    return "/admin/setup/" + LINK.search(create(runner).output).group(1)


def test_setup_link_sets_the_password_once(app, client, runner, clean_staff):
    link = _link(runner)
    page = client.get(link)
    assert page.status_code == 200 and "Welcome, Ravi Ops" in page.get_data(as_text=True)
    token = token_on(client, link)
    weak = client.post(link, data={"password": "password1234", "confirm": "password1234",
                                   "csrf_token": token})  # fmt: skip
    assert weak.status_code == 400 and "too common" in weak.get_data(as_text=True)
    differ = client.post(link, data={"password": PASSWORD, "confirm": PASSWORD + "x",
                                     "csrf_token": token})  # fmt: skip
    assert differ.status_code == 400 and "The two passwords differ." in differ.get_data(
        as_text=True
    )
    no_csrf = client.post(link, data={"password": PASSWORD, "confirm": PASSWORD})
    assert no_csrf.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Staff.password_hash)) is None
    ok = client.post(link, data={"password": PASSWORD, "confirm": PASSWORD, "csrf_token": token})
    assert ok.status_code == 302
    with app.app_context():
        stored = db.session.scalar(select(Staff.password_hash))
        assert stored.startswith("$argon2id$")
    other = app.test_client()
    assert other.get(link).status_code == 404  # the link worked once


def test_setup_link_expires(app, client, runner, clean_staff):
    link = _link(runner)
    with app.app_context():
        staff = db.session.scalar(select(Staff))
        staff.setup_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.get(link)
    assert response.status_code == 404 and "no longer works" in response.get_data(as_text=True)
    assert client.get("/admin/setup/" + "x" * 500).status_code == 404


def login(client, email: str, password: str):
    return client.post(
        "/admin/login/",
        data={
            "email": email,
            "password": password,
            "csrf_token": token_on(client, "/admin/login/"),
        },
    )


def test_wrong_password_and_unknown_email_answer_alike(app, client, admin_id):
    wrong = login(client, "admin@ops.example.com", "not the password!")
    unknown = login(client, "nobody@ops.example.com", "not the password!")
    junk = login(client, "not an address", "x")
    for response in (wrong, unknown, junk):
        assert response.status_code == 400
        assert "Wrong e-mail or password." in response.get_data(as_text=True)
    right = login(client, "ADMIN@ops.example.com", PASSWORD)
    assert right.status_code == 302 and right.headers["Location"] == "/admin/login/verify/"
    assert client.get("/admin/").headers["Location"] == "/admin/login/"  # not signed in yet
    with app.app_context():
        failed = db.session.scalars(
            select(AuthEvent.staff_id).where(AuthEvent.event == "staff_login_failed")
        ).all()
    assert sorted(failed, key=str) == sorted([admin_id, None, None], key=str)


def test_ten_failures_lock_the_account_and_unknown_emails_alike(app, client, admin_id):
    for _ in range(10):
        assert login(client, "admin@ops.example.com", "wrong wrong wrong").status_code == 400
        assert login(client, "ghost@ops.example.com", "wrong wrong wrong").status_code == 400
    for email in ("admin@ops.example.com", "ghost@ops.example.com"):
        locked = login(client, email, PASSWORD)
        assert locked.status_code == 429
        assert "Too many attempts" in locked.get_data(as_text=True)
        assert 3500 < int(locked.headers["Retry-After"]) <= 3600
    assert login(client, "support@ops.example.com", PASSWORD).status_code == 400  # no such


def test_lockout_keys_have_a_ttl(app, client, redis_client, admin_id):
    login(client, "admin@ops.example.com", "wrong wrong wrong")
    keys = redis_client.keys("staff:*")
    assert len(keys) == 1 and b"admin" not in keys[0]
    assert 0 < redis_client.ttl(keys[0]) <= 3600
