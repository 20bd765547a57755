"""The console's customer pages: search, create and edit with the CLI's messages, the support
panel and its actions, each audited with the staff member's id."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from otpauth.platform.extensions import db
from otpauth.signin.models import AuthEvent, Customer
from tests.admin_support import token_on
from tests.conftest import code_in

pytest_plugins = ("tests.admin_fixtures",)


def post(client, path: str, **data):
    return client.post(path, data={**data, "csrf_token": token_on(client, "/admin/login/")})


def staff_events(app) -> list[tuple[str, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuthEvent.event, AuthEvent.staff_id).order_by(AuthEvent.id)
        )
        return [tuple(r) for r in rows]


@pytest.mark.parametrize(
    "q", ["asha", "TEST@example", "9876543210", "+91 98765 43210", "098765-43210", "43210"]
)
def test_search_by_name_email_or_phone_as_typed(as_admin, customer, q):
    html = as_admin.get(f"/admin/customers/?q={q}").get_data(as_text=True)
    assert "Asha Rao" in html and "1 found" in html


def test_search_misses_and_pages(app, as_admin, customer):
    assert "0 found" in as_admin.get("/admin/customers/?q=nobody").get_data(as_text=True)
    with app.app_context():
        db.session.add_all(
            Customer(name=f"Bulk {i:02}", email=f"b{i}@example.com", customer_type="Household")
            for i in range(30)
        )
        db.session.commit()
    first = as_admin.get("/admin/customers/?q=bulk").get_data(as_text=True)
    assert "30 found" in first and "Page 1 of 2" in first and "Bulk 24" in first
    second = as_admin.get("/admin/customers/?q=bulk&page=2").get_data(as_text=True)
    assert "Bulk 25" in second and "Bulk 24" not in second
    assert as_admin.get("/admin/customers/?page=abc").status_code == 200


def test_create_with_the_clis_validation(app, as_admin, admin_id, customer):
    bad = post(as_admin, "/admin/customers/new", name="X", email="nope", phone="", type="Household")
    assert bad.status_code == 400 and "Enter a valid e-mail address." in bad.get_data(as_text=True)
    none = post(as_admin, "/admin/customers/new", name="X", email="", phone="", type="Household")
    assert "give an e-mail address, a phone number or both" in none.get_data(as_text=True)
    clash = post(
        as_admin, "/admin/customers/new", name="X", email="", phone="9876543210", type="Household"
    )
    assert f"a customer with this phone number already exists (id {customer})" in clash.get_data(
        as_text=True
    )
    ok = post(
        as_admin,
        "/admin/customers/new",
        name="Shop",
        email="",
        phone="98765 00001",
        type="Commercial",
    )
    assert ok.status_code == 302
    with app.app_context():
        shop = db.session.scalar(select(Customer).where(Customer.name == "Shop"))
        assert (shop.phone, shop.customer_type) == ("+919876500001", "Commercial")
    assert ("customer_created", admin_id) in staff_events(app)


def test_edit_changes_contacts_and_forgets_their_proof(app, as_admin, admin_id, customer):
    page = as_admin.get(f"/admin/customers/{customer}/edit").get_data(as_text=True)
    assert 'value="test@example.com"' in page
    response = post(
        as_admin,
        f"/admin/customers/{customer}/edit",
        name="Asha R",
        email="asha@example.com",
        phone="+919876543210",
        type="Institutional",
    )
    assert response.status_code == 302
    with app.app_context():
        c = db.session.get(Customer, customer)
        assert (c.name, c.email, c.customer_type) == ("Asha R", "asha@example.com", "Institutional")
    assert ("customer_updated", admin_id) in staff_events(app)
    assert as_admin.get("/admin/customers/99999/edit").status_code == 404


def test_support_panel_shows_the_live_state(app, as_support, customer, auth, outbox):
    auth.request()  # a code is pending, the cooldown runs
    wrong = "000000" if code_in(outbox[-1]) != "000000" else "111111"
    auth.verify(wrong)
    html = as_support.get(f"/admin/customers/{customer}").get_data(as_text=True)
    assert "email t***@example.com" in html and "sms +91******3210" in html
    assert "yes: 4 attempts left, expires in" in html
    assert "otp_verify_failed" in html and "Unlock" in html
    assert "Deactivate" not in html  # support may not
    assert "Authenticator app</dt><dd>no" in html


@pytest.mark.parametrize("settings", [{"OTP_MAX_FAILURES_PER_DAY": 1}])
def test_unlock_lifts_the_cap_and_is_audited(
    app, as_support, support_id, customer, auth, outbox, settings
):
    auth.request()
    auth.verify("000000" if code_in(outbox[-1]) != "000000" else "111111")
    html = as_support.get(f"/admin/customers/{customer}").get_data(as_text=True)
    assert "locked," in html
    response = post(as_support, f"/admin/customers/{customer}/unlock")
    assert response.status_code == 302
    html = as_support.get(response.headers["Location"]).get_data(as_text=True)
    assert "Unlocked:" in html and "locked," not in html
    # E-mail and phone, each through its own channel and the authenticator app.
    assert staff_events(app).count(("contact_unlocked", support_id)) == 4


def test_deactivate_and_reactivate(app, as_admin, admin_id, customer, auth, outbox):
    post(as_admin, f"/admin/customers/{customer}/deactivate", reason="Moved away")
    with app.app_context():
        assert db.session.get(Customer, customer).active is False
    html = as_admin.get(f"/admin/customers/{customer}").get_data(as_text=True)
    assert "deactivated" in html and "Reactivate" in html
    post(as_admin, f"/admin/customers/{customer}/reactivate")
    with app.app_context():
        assert db.session.get(Customer, customer).active is True
    events = staff_events(app)
    assert ("customer_deactivated", admin_id) in events
    assert ("customer_reactivated", admin_id) in events


def test_import_page_shows_the_report(app, as_admin, admin_id, customer):
    text = (
        "name,email,phone,type\nNew,new@example.com,,Household\nDup,test@example.com,,Household\n"
    )
    response = as_admin.post(
        "/admin/import",
        data={
            "file": (io.BytesIO(text.encode("utf-8-sig")), "c.csv"),
            "csrf_token": token_on(as_admin, "/admin/import"),
        },
    )
    html = response.get_data(as_text=True)
    assert "1 imported, 1 rejected" in html
    assert "line 3: a customer with this e-mail or phone already exists" in html
    assert ("customers_imported", admin_id) in staff_events(app)
    latin = as_admin.post(
        "/admin/import",
        data={
            "file": (io.BytesIO("name,email,phone,type\nJosé,,,\n".encode("latin-1")), "c.csv"),
            "csrf_token": token_on(as_admin, "/admin/import"),
        },
    )
    assert latin.status_code == 400 and "not UTF-8" in latin.get_data(as_text=True)
    assert as_admin.post("/admin/import", data={"csrf_token": "x"}).status_code == 400


def test_sign_out_and_deactivate_end_the_customers_sessions(app, as_admin, admin_id, customer):
    from tests.session_support import plant_session

    phone = app.test_client()
    plant_session(phone, app, customer)
    assert phone.get("/dashboard/").status_code == 200
    html = as_admin.get(f"/admin/customers/{customer}").get_data(as_text=True)
    assert "Active sessions (1)" in html
    post(as_admin, f"/admin/customers/{customer}/sign-out", reason="Lost phone")
    assert phone.get("/dashboard/").status_code == 302
    assert ("sessions_revoked", admin_id) in staff_events(app)
    plant_session(phone, app, customer)
    post(as_admin, f"/admin/customers/{customer}/deactivate", reason="Moved away")
    assert phone.get("/dashboard/").status_code == 302


def test_staff_and_customer_logins_do_not_cross(app, client, customer, admin_id):
    from tests.admin_support import sign_in
    from tests.session_support import plant_session

    plant_session(client, app, customer)
    assert client.get("/admin/").headers["Location"] == "/admin/login/"
    sign_in(client, admin_id)
    assert client.get("/admin/").status_code == 200
    assert client.get("/dashboard/").status_code == 302  # a staff login is no customer's


def test_deactivated_staff_are_signed_out(app, as_admin, admin_id, runner):
    assert as_admin.get("/admin/").status_code == 200
    runner.invoke(args=["staff", "deactivate", str(admin_id)])
    assert as_admin.get("/admin/").headers["Location"] == "/admin/login/"
