"""Staff passkeys: registered at ``/admin/passkeys/``, used instead of the authenticator code
at the second sign-in step; a staff member keeps a second factor; an admin removes a
customer's passkey from the support panel (audited with the staff id)."""

from __future__ import annotations

import pytest

from tests.admin_support import PASSWORD, add_staff, sign_in, token_on
from tests.passkey_support import ORIGIN, SETTINGS, page_csrf, post_json, register
from tests.passkey_support import sign_in_by_code as customer_signs_in
from tests.soft_authenticator import for_options

pytest_plugins = ("tests.admin_fixtures",)


@pytest.fixture
def settings() -> dict:
    return dict(SETTINGS)


def _events(app, name: str) -> list:
    from otpauth.platform.extensions import db
    from otpauth.signin.models import AuthEvent

    with app.app_context():
        return db.session.query(AuthEvent).filter_by(event=name).all()


def _rows(app, kind: str) -> list:
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Passkey

    with app.app_context():
        return db.session.query(Passkey).filter_by(owner_kind=kind).all()


def _staff_registers(client):
    token = page_csrf(client, "/admin/passkeys/")
    options = post_json(client, "/admin/passkeys/options", {}, token).get_json()
    credential = for_options(options)
    added = post_json(client, "/admin/passkeys/", credential.register(options, ORIGIN), token)
    assert added.status_code == 201
    return credential


def _password_step(client, email: str = "admin@ops.example.com") -> str:
    token = token_on(client, "/admin/login/")
    response = client.post(
        "/admin/login/", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return page_csrf(client, "/admin/login/verify/")


def _passkey_step(client, credential, token: str, **bend):
    options = post_json(client, "/admin/login/passkey/options", {}, token).get_json()
    return post_json(
        client, "/admin/login/passkey/verify", credential.assert_(options, ORIGIN, **bend), token
    )


def test_a_passkey_stands_in_for_the_code(app, client, clean_staff, admin_id):
    sign_in(client, admin_id)
    credential = _staff_registers(client)
    client.post("/admin/logout/", data={"csrf_token": token_on(client, "/admin/")})
    token = _password_step(client)
    page = client.get("/admin/login/verify/").get_data(as_text=True)
    assert "Use a passkey" in page
    answer = _passkey_step(client, credential, token)
    assert answer.get_json() == {"redirect": "/admin/"}
    assert client.get("/admin/").status_code == 200
    [login] = _events(app, "staff_login")
    assert (login.staff_id, login.reason) == (admin_id, "passkey")
    assert [e.staff_id for e in _events(app, "passkey_login")] == [admin_id]


def test_without_the_password_step_there_is_nothing_to_answer(client, clean_staff, admin_id):
    token = token_on(client, "/admin/login/")
    assert post_json(client, "/admin/login/passkey/options", {}, token).status_code == 404


def test_a_customers_passkey_opens_no_console(app, client, auth, outbox, clean_staff, customer):
    add_staff(app, "admin")
    customer_signs_in(auth, outbox)
    credential, _ = register(client)
    auth.logout()
    token = _password_step(client)
    assert _passkey_step(client, credential, token).status_code == 400
    assert client.get("/admin/").status_code == 302


def test_another_members_passkey_is_refused_and_counted(app, client, clean_staff, admin_id):
    other = add_staff(app, "support", email="other@ops.example.com")
    sign_in(client, other)
    credential = _staff_registers(client)
    client.post("/admin/logout/", data={"csrf_token": token_on(client, "/admin/")})
    token = _password_step(client)  # the admin's password, the support member's passkey
    assert _passkey_step(client, credential, token).status_code == 400
    assert client.get("/admin/").status_code == 302
    [failed] = _events(app, "passkey_login_failed")
    assert (failed.staff_id, failed.reason) == (admin_id, "unknown")


def test_the_last_second_factor_stays(app, client, clean_staff, admin_id):
    sign_in(client, admin_id)  # add_staff enrols no authenticator app
    _staff_registers(client)
    [row] = _rows(app, "staff")
    token = page_csrf(client, "/admin/passkeys/")
    client.post(f"/admin/passkeys/{row.id}/remove", data={"csrf_token": token})
    assert len(_rows(app, "staff")) == 1
    _staff_registers(client)
    client.post(f"/admin/passkeys/{row.id}/remove", data={"csrf_token": token})
    assert [r.id for r in _rows(app, "staff")] != [row.id] and len(_rows(app, "staff")) == 1


def test_an_admin_removes_a_customers_passkey(
    app, client, auth, outbox, sms, clean_staff, admin_id, customer
):
    customer_signs_in(auth, outbox)
    register(client)
    auth.logout()
    outbox.clear()
    [row] = _rows(app, "customer")
    sign_in(client, admin_id)
    page = client.get(f"/admin/customers/{customer}").get_data(as_text=True)
    assert row.name in page
    token = token_on(client, f"/admin/customers/{customer}")
    client.post(f"/admin/customers/{customer}/passkeys/{row.id}/remove", data={"csrf_token": token})
    assert _rows(app, "customer") == []
    [removed] = _events(app, "passkey_removed")
    assert (removed.customer_id, removed.staff_id) == (customer, admin_id)
    assert any(row.name in m.text for m in outbox)
