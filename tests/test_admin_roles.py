"""Who may do what in the console: every /admin route, for admin, support and anonymous.

ROUTES is the test's table; a console route missing from it, or from the app's role table
(``otpauth.admin.roles.RULES``), fails ``test_every_route_has_a_rule_and_a_row``.
"""

from __future__ import annotations

import io

import pytest

from otpauth.web.admin.roles import RULES
from tests.admin_support import add_staff, sign_in, token_on

pytest_plugins = ("tests.admin_fixtures",)

NEW = {"name": "New Person", "email": "new@example.com", "phone": "", "type": "Commercial"}
EDIT = {"name": "Asha R.", "email": "test@example.com", "phone": "9876543210", "type": "Household"}
CSV = "name,email,phone,type\nBulk One,bulk1@example.com,,Household\n"
STAFF = {"email": "new@ops.example.com", "name": "New Member", "role": "support"}

# (endpoint, method, path, form data, admin's status, support's status); anonymous visitors
# are sent to the login page for every endpoint that is not public.
ROUTES = [
    ("admin.overview", "GET", "/admin/", None, 200, 200),
    ("admin.customers", "GET", "/admin/customers/?q=asha", None, 200, 200),
    ("admin.customer", "GET", "/admin/customers/{cid}", None, 200, 200),
    ("admin.customer_new", "GET", "/admin/customers/new", None, 200, 403),
    ("admin.customer_new", "POST", "/admin/customers/new", NEW, 302, 403),
    ("admin.customer_edit", "GET", "/admin/customers/{cid}/edit", None, 200, 403),
    ("admin.customer_edit", "POST", "/admin/customers/{cid}/edit", EDIT, 302, 403),
    ("admin.unlock", "POST", "/admin/customers/{cid}/unlock", {}, 302, 302),
    ("admin.sign_out", "GET", "/admin/customers/{cid}/sign-out", None, 200, 200),
    ("admin.sign_out", "POST", "/admin/customers/{cid}/sign-out", {"reason": "r"}, 302, 302),
    ("admin.deactivate", "GET", "/admin/customers/{cid}/deactivate", None, 200, 403),
    ("admin.deactivate", "POST", "/admin/customers/{cid}/deactivate", {"reason": "r"}, 302, 403),
    ("admin.reactivate", "POST", "/admin/customers/{cid}/reactivate", {}, 302, 403),
    ("admin.audit", "GET", "/admin/audit/?event=login", None, 200, 200),
    ("admin.audit", "GET", "/admin/audit/?format=csv", None, 200, 200),
    ("admin.import_csv", "GET", "/admin/import", None, 200, 403),
    ("admin.import_csv", "POST", "/admin/import", "file", 200, 403),
    ("admin.customers_export", "GET", "/admin/customers/export.csv", None, 200, 403),
    ("admin.staff", "GET", "/admin/staff/", None, 200, 403),
    ("admin.staff_new", "GET", "/admin/staff/new", None, 200, 403),
    ("admin.staff_new", "POST", "/admin/staff/new", STAFF, 200, 403),
    ("admin.staff_deactivate", "POST", "/admin/staff/{other}/deactivate", {}, 302, 403),
    ("admin.oidc_clients", "GET", "/admin/clients/", None, 200, 403),
    ("admin.staff_passkeys", "GET", "/admin/passkeys/", None, 200, 200),
    ("admin.staff_passkey_options", "POST", "/admin/passkeys/options", {}, 200, 200),
    ("admin.staff_passkey_add", "POST", "/admin/passkeys/", {}, 400, 400),  # not a credential
    ("admin.staff_passkey_remove", "POST", "/admin/passkeys/999/remove", {}, 404, 404),
    (
        "admin.customer_passkey_remove",
        "POST",
        "/admin/customers/{cid}/passkeys/9/remove",
        {},
        404,
        403,
    ),
]
PUBLIC = [
    ("admin.login", "GET", "/admin/login/", 200),
    ("admin.login_verify", "GET", "/admin/login/verify/", 302),
    ("admin.logout", "POST", "/admin/logout/", 302),
    ("admin.setup", "GET", "/admin/setup/not-a-token", 404),
    ("admin.login_passkey_options", "POST", "/admin/login/passkey/options", 404),  # no password
    ("admin.login_passkey_verify", "POST", "/admin/login/passkey/verify", 404),
]


def test_every_route_has_a_rule_and_a_row(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")}
    assert endpoints, "the console is not registered"
    assert endpoints - set(RULES) == set(), "console routes without a role rule"
    tested = {row[0] for row in ROUTES} | {row[0] for row in PUBLIC}
    assert endpoints - tested == set(), "console routes missing from this test's table"


def _call(client, method: str, path: str, data, token: str):  # noqa: ANN001
    if method == "GET":
        return client.get(path)
    if data == "file":
        data = {"file": (io.BytesIO(CSV.encode()), "customers.csv")}
    return client.post(path, data={**data, "csrf_token": token})


@pytest.mark.parametrize("who", ["admin", "support", "anonymous"])
@pytest.mark.parametrize(("endpoint", "method", "path", "data", "admin", "support"), ROUTES)
def test_route_by_role(
    app, client, clean_staff, customer, who, endpoint, method, path, data, admin, support
):
    ids = {"admin": add_staff(app, "admin"), "support": add_staff(app, "support")}
    other = add_staff(app, "support", email="other@ops.example.com")
    if who != "anonymous":
        sign_in(client, ids[who])
    token = token_on(client, "/admin/login/")
    response = _call(client, method, path.format(cid=customer, other=other), data, token)
    expected = {"admin": admin, "support": support, "anonymous": 302}[who]
    assert response.status_code == expected, response.get_data(as_text=True)[:400]
    if who == "anonymous":
        assert response.headers["Location"] == "/admin/login/"
    if expected == 403:
        assert "Forbidden" in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["admin", "support", "anonymous"])
@pytest.mark.parametrize(("endpoint", "method", "path", "status"), PUBLIC)
def test_public_sign_in_routes(app, client, clean_staff, who, endpoint, method, path, status):
    if who != "anonymous":
        sign_in(client, add_staff(app, who))
    token = token_on(client, "/admin/login/")
    response = _call(client, method, path, {}, token)
    assert response.status_code == status


FORMS = [(row[2], row[3]) for row in ROUTES if row[1] == "POST"]


@pytest.mark.parametrize(("path", "data"), FORMS)
def test_every_form_needs_its_csrf_token(app, client, clean_staff, customer, path, data):
    sign_in(client, add_staff(app, "admin"))
    other = add_staff(app, "support", email="other@ops.example.com")
    target = path.format(cid=customer, other=other)
    if data == "file":
        data = {"file": (io.BytesIO(CSV.encode()), "customers.csv")}
    response = client.post(target, data=data)
    assert response.status_code == 400
    assert "expired or was not sent from our site" in response.get_data(as_text=True)
