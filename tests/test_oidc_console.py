"""The console's list of applications (admins only)."""

from __future__ import annotations

from tests.oidc_support import REDIRECT, register

pytest_plugins = ("tests.admin_fixtures",)


def test_admins_see_each_client_with_its_redirect_uris_and_last_use(app, as_admin):
    rp = register(app, first_party=False, backchannel_logout_uri="http://127.0.0.1:9/bcl")
    page = as_admin.get("/admin/clients/").get_data(as_text=True)
    assert rp.client_id in page and REDIRECT in page and "http://127.0.0.1:9/bcl" in page
    assert "asks consent" in page and "never" in page
    assert 'href="/admin/clients/"' in page  # the nav link


def test_support_staff_are_refused(as_support):
    assert as_support.get("/admin/clients/").status_code == 403
