"""What a new operator tripped on in the console (issue 24): search ranking, the edit form's
Type, a support panel that tells the truth, the console's own error page, the overview's
warning and chart axes, the staff code hint, one breaker line and an honest 503."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from tests.admin_support import PASSWORD, add_staff
from tests.conftest import Auth, code_in
from tests.console_support import many_customers, post_form, seed_history

pytest_plugins = ("tests.admin_fixtures",)


def rows_of(html: str) -> list[str]:
    """The e-mail column of the customer table, in the order shown."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<td>([^<]*@[^<]*)</td>", body)


def test_an_exact_email_is_found_first_and_its_digits_are_not_a_phone(app, as_admin):
    many_customers(app, 120)
    html = as_admin.get("/admin/customers/?q=cust0005@example.org").get_data(as_text=True)
    assert "1 found" in html and rows_of(html) == ["cust0005@example.org"]
    typed = as_admin.get("/admin/customers/?q=+CUST0005@Example.org ").get_data(as_text=True)
    assert rows_of(typed) == ["cust0005@example.org"]


def test_an_exact_email_ranks_above_longer_addresses_holding_it(app, as_admin):
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    with app.app_context():
        for email in ("aa.cust7@example.org", "cust7@example.org", "cust7@example.org.in"):
            db.session.add(Customer(name=email, email=email, customer_type="Household"))
        db.session.commit()
    html = as_admin.get("/admin/customers/?q=cust7@example.org").get_data(as_text=True)
    assert rows_of(html)[0] == "cust7@example.org"


def test_an_exact_phone_is_found_alone_however_typed(app, as_admin):
    many_customers(app, 120)
    for typed in ("+91 98100 00005", "09810000005", "9810000005"):
        html = as_admin.get(f"/admin/customers/?q={typed}").get_data(as_text=True)
        assert "1 found" in html and rows_of(html) == ["cust0005@example.org"], typed


def test_part_of_an_email_or_number_still_finds(app, as_admin, customer):
    assert "1 found" in as_admin.get("/admin/customers/?q=TEST@example").get_data(as_text=True)
    assert "1 found" in as_admin.get("/admin/customers/?q=43210").get_data(as_text=True)


def test_the_edit_forms_type_is_a_one_line_select(as_admin, customer):
    html = as_admin.get(f"/admin/customers/{customer}/edit").get_data(as_text=True)
    select = re.search(r"<select[^>]*>", html).group(0)
    assert 'name="type"' in select and "size=" not in select


@pytest.mark.parametrize("settings", [{"OTP_MAX_ATTEMPTS": 2, "OTP_MAX_FAILURES_PER_DAY": 20}])
def test_the_panel_says_locked_after_a_code_is_used_up(app, as_admin, customer, outbox, settings):
    auth = Auth(app.test_client())
    auth.request()
    wrong = "000000" if code_in(outbox[-1]) != "000000" else "111111"
    auth.verify(wrong)
    assert "Too many attempts" in auth.verify(wrong).get_data(as_text=True)  # otp_locked
    html = as_admin.get(f"/admin/customers/{customer}").get_data(as_text=True)
    state = html.split('<table class="state">', 1)[1].split("</table>", 1)[0]
    email_row = next(r for r in state.split("<tr>") if "t***@example.com" in r)
    assert "0 attempts left" not in email_row
    assert "used up" in email_row
    cells = re.findall(r"<td>(.*?)</td>", email_row, re.S)
    assert cells[-1].startswith("yes") or ">yes" in cells[-1]  # Locked: yes


@pytest.mark.parametrize("settings", [{"OTP_MAX_FAILURES_PER_DAY": 1}])
def test_the_panel_says_locked_by_the_daily_cap(app, as_admin, customer, outbox, settings):
    auth = Auth(app.test_client())
    auth.request()
    auth.verify("000000" if code_in(outbox[-1]) != "000000" else "111111")
    html = as_admin.get(f"/admin/customers/{customer}").get_data(as_text=True)
    assert "daily cap" in html


def test_a_support_members_403_is_a_console_page(app, as_support):
    answer = as_support.get("/admin/staff/")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 403
    assert "ops" in html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "admin" in html and "?lang=hi" not in html and "हिन्दी" not in html
    assert "not allowed" in html.lower()
    assert 'href="/admin/"' in html  # back to the console, not to the customers' sign-in


def test_an_unknown_customer_is_a_console_404(as_admin):
    answer = as_admin.get("/admin/customers/999999")
    assert answer.status_code == 404 and "हिन्दी" not in answer.get_data(as_text=True)


def test_charts_carry_axis_labels(app, as_admin):
    seed_history(app, 300)
    html = as_admin.get("/admin/").get_data(as_text=True)
    charts = re.findall(r"<svg[^>]*class=\"chart\".*?</svg>", html, re.S)
    assert charts
    for svg in charts:
        assert 'class="axis-y"' in svg and 'class="axis-x"' in svg
        assert len(re.findall(r'class="tick[^"]*"', svg)) >= 4  # more than the two end labels


def test_reusing_an_authenticator_code_says_each_works_once(app, client, clean_staff):
    from otpauth.signin import authenticators
    from otpauth.signin.otp.totp import new_secret

    staff_id = add_staff(app, "admin")
    secret = new_secret()
    with app.app_context():
        authenticators.confirm_enrolment("staff", staff_id, secret, pyotp.TOTP(secret).now())
    code = pyotp.TOTP(secret).at(time.time() + 30)

    def password_then(code: str):  # noqa: ANN202
        login = {"email": "admin@ops.example.com", "password": PASSWORD}
        post_form(client, "/admin/login/", "/admin/login/", login)
        return post_form(client, "/admin/login/verify/", "/admin/login/verify/", {"code": code})

    assert password_then(code).status_code == 302
    client.post("/admin/logout/", data={"csrf_token": ""})
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    again = password_then(code)
    html = again.get_data(as_text=True)
    assert again.status_code == 400 and "Invalid OTP" in html
    assert "Each code works once" in html
