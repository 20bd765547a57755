"""The console's actions an operator needs on day one (issue 24): a confirmation with a
reason (into the audit event) before Deactivate and "Sign out everywhere", staff creation
with the setup link shown once, the customer export, and an import report that lists each
rejected row with its values and offers them back as a CSV to fix."""

from __future__ import annotations

import base64
import csv
import io
import re
from urllib.parse import unquote

import pytest

from otpauth.platform.extensions import db
from otpauth.signin.models import Customer
from tests.console_support import audit_rows, post_form
from tests.session_support import plant_session

pytest_plugins = ("tests.admin_fixtures",)


def is_active(app, customer_id: int) -> bool:
    with app.app_context():
        return db.session.get(Customer, customer_id).active


def test_the_customer_page_asks_before_deactivating(app, as_admin, customer):
    page = as_admin.get(f"/admin/customers/{customer}").get_data(as_text=True)
    # The buttons lead to a confirmation page (a GET), never straight to the action.
    assert f'href="/admin/customers/{customer}/deactivate"' in page
    assert f'href="/admin/customers/{customer}/sign-out"' in page
    confirm = as_admin.get(f"/admin/customers/{customer}/deactivate")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Asha Rao" in html
    assert re.search(r'<(input|textarea)[^>]*name="reason"[^>]*required', html)


def test_deactivate_needs_a_reason_and_audits_it(app, as_admin, customer, admin_id):
    path = f"/admin/customers/{customer}/deactivate"
    refused = post_form(as_admin, path, path, {"reason": "  "})
    assert refused.status_code == 400 and is_active(app, customer)
    assert "reason" in refused.get_data(as_text=True).lower()
    done = post_form(as_admin, path, path, {"reason": "Moved out of the ward"})
    assert done.status_code == 302 and not is_active(app, customer)
    (event,) = audit_rows(app, "customer_deactivated")
    assert event.reason == "Moved out of the ward" and event.staff_id == admin_id


def test_sign_out_everywhere_needs_a_reason_and_audits_it(app, as_admin, customer):
    victim = app.test_client()
    plant_session(victim, app, customer)
    path = f"/admin/customers/{customer}/sign-out"
    assert post_form(as_admin, path, path, {}).status_code == 400
    assert victim.get("/dashboard/").status_code == 200
    done = post_form(as_admin, path, path, {"reason": "Phone stolen, called 10:05"})
    assert done.status_code == 302
    assert victim.get("/dashboard/").status_code == 302  # signed out
    (event,) = audit_rows(app, "sessions_revoked")
    assert event.reason == "Phone stolen, called 10:05"


def test_a_long_reason_is_kept_whole_up_to_200_characters(app, as_admin, customer):
    path = f"/admin/customers/{customer}/sign-out"
    reason = "x" * 200
    assert post_form(as_admin, path, path, {"reason": reason}).status_code == 302
    assert audit_rows(app, "sessions_revoked")[0].reason == reason
    too_long = post_form(as_admin, path, path, {"reason": "y" * 201})
    assert too_long.status_code == 400


@pytest.mark.parametrize("settings", [{"PUBLIC_URL": "http://127.0.0.1:5600"}])
def test_an_admin_creates_staff_and_sees_the_link_once(app, as_admin, settings):
    data = {"email": "meena@ops.example.com", "name": "Meena Iyer", "role": "support"}
    answer = post_form(as_admin, "/admin/staff/new", "/admin/staff/new", data)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    link = re.search(r"http://127\.0\.0\.1:5600/admin/setup/[A-Za-z0-9_-]+", html).group(0)
    assert "only once" in html
    setup = app.test_client().get(link.removeprefix("http://127.0.0.1:5600"))
    assert setup.status_code == 200
    listing = as_admin.get("/admin/staff/").get_data(as_text=True)
    assert "Meena Iyer" in listing and "setup pending" in listing and link not in listing
    assert audit_rows(app, "staff_created")


def test_staff_creation_refuses_bad_input_with_its_reason(as_admin):
    data = {"email": "not-an-address", "name": "X", "role": "support"}
    answer = post_form(as_admin, "/admin/staff/new", "/admin/staff/new", data)
    assert answer.status_code == 400 and "valid e-mail" in answer.get_data(as_text=True)


def test_support_may_neither_create_staff_nor_export(as_support):
    assert as_support.get("/admin/staff/new").status_code == 403
    assert as_support.get("/admin/customers/export.csv").status_code == 403


def test_export_is_the_clis_csv_with_formulas_neutralised(app, as_admin, customer):
    with app.app_context():
        formula = Customer(name="=HYPERLINK(1)", email="f@example.com", customer_type="Commercial")
        db.session.add(formula)
        db.session.commit()
    answer = as_admin.get("/admin/customers/export.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[0] == ["name", "email", "phone", "type", "active"]
    assert ["Asha Rao", "test@example.com", "'+919876543210", "Household", "true"] in rows
    assert ["'=HYPERLINK(1)", "f@example.com", "", "Commercial", "true"] in rows
    assert audit_rows(app, "customers_exported")


UPLOAD = (
    "name,email,phone,type\n"
    "Good One,good@example.com,9876500001,Household\n"
    "No Type,notype@example.com,9876500002,\n"
    "Land Line,land@example.com,+91 80 2222 3333,Commercial\n"
    "=Bad Mail,not-an-address,,Household\n"
)


def upload(client, text: str):  # noqa: ANN201
    from tests.admin_support import token_on

    token = token_on(client, "/admin/import")
    data = {"csrf_token": token, "file": (io.BytesIO(text.encode()), "c.csv")}
    return client.post("/admin/import", data=data, content_type="multipart/form-data")


def test_the_import_report_lists_each_reject_with_its_values(app, as_admin):
    html = upload(as_admin, UPLOAD).get_data(as_text=True)
    assert "1 imported, 3 rejected" in html
    assert re.search(r"line 3: type: .*notype@example.com", html, re.S)
    assert re.search(r"line 4: phone: .*mobile.*land@example.com", html, re.S)
    assert re.search(r"line 5: email: .*not-an-address", html, re.S)
    with app.app_context():
        emails = set(db.session.scalars(db.select(Customer.email)))
    assert emails == {"good@example.com"}  # no silent Household, no landline


def test_the_rejects_come_back_as_a_csv_to_fix_and_upload_again(app, as_admin):
    html = upload(as_admin, UPLOAD).get_data(as_text=True)
    link = re.search(r'<a[^>]*download="[^"]+\.csv"[^>]*href="data:text/csv[^,]*,([^"]+)"', html)
    assert link, "no download link for the rejected rows"
    text = base64.b64decode(unquote(link.group(1))).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["name", "email", "phone", "type", "active"]
    assert [r[1] for r in rows[1:]] == ["notype@example.com", "land@example.com", "not-an-address"]
    assert rows[3][0] == "'=Bad Mail"  # guarded, like every CSV the app writes
    row = ",notype@example.com,9876500002,"
    fixed = text.replace(row + ",", row + "Household,")
    again = upload(as_admin, fixed).get_data(as_text=True)
    assert "1 imported, 2 rejected" in again
