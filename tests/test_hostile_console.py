"""Issue 19, finding 8 and the console fuzz: crafted query strings and ids on every
``/admin`` page answer 4xx (or the page), never a 500, a false 503, or a traceback."""

from __future__ import annotations

import io
import logging
import re
from urllib.parse import urlencode

import pytest
from flask import url_for

from tests.admin_support import token_on

pytest_plugins = ("tests.admin_fixtures",)
URL_KEYS = ["endpoint", "_method", "_external", "_scheme", "_anchor", "values"]
FILTERS = ["customer", "event", "channel", "ip", "contact", "since", "until", "q", "page", "format"]
HOSTILE = [
    "0001-01-01",
    "9999-12-31",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "a\x00b",
    "\x00",
    "²",
    "٣",
    "99999999999999999999",
    "-1",
    "%0aalert(1)",
]
LINKS = re.compile(r'(?:href|action)="([^"]*)"')
FAILURE_LOGS = ("Traceback", "unexpected error", "unavailable:")


def get_paths(app, customer: int, staff_id: int) -> list[str]:  # noqa: ANN001
    """Every console page that answers a GET, path arguments filled in."""
    ids = {"customer_id": customer, "staff_id": staff_id, "token": "x"}
    with app.test_request_context():
        return sorted(
            url_for(rule.endpoint, **{a: ids[a] for a in rule.arguments})
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/admin") and "GET" in (rule.methods or ())
        )


def _no_failure_logged(caplog) -> None:  # noqa: ANN001
    for marker in FAILURE_LOGS:
        assert marker not in caplog.text


@pytest.mark.parametrize(
    "query",
    [
        "customer=²",
        "customer=٣",
        "customer=99999999999",
        "since=0001-01-01",
        "until=9999-12-31",
        "since=9999-12-31T23:59:59-12:00",
        "channel=a%00b",
        "ip=10.0.0.1%00",
        "contact=a%00@example.com",
    ],
)
def test_the_reported_audit_filters_are_400(as_support, query, caplog):
    caplog.set_level(logging.INFO)
    for fmt in ("", "&format=csv"):
        answer = as_support.get(f"/admin/audit/?{query}{fmt}")
        assert answer.status_code == 400, query
    _no_failure_logged(caplog)


def test_a_nul_in_the_customer_search_is_400(as_support, caplog):
    caplog.set_level(logging.INFO)
    answer = as_support.get("/admin/customers/?q=a%00b")
    assert answer.status_code == 400 and "control characters" in answer.get_data(as_text=True)
    _no_failure_logged(caplog)


@pytest.mark.parametrize("number", ["99999999999999999999", "2147483648", "0", "٣", "1e3"])
def test_ids_past_the_integer_range_are_404(as_admin, number, caplog):
    caplog.set_level(logging.INFO)
    token = token_on(as_admin, "/admin/")
    assert as_admin.get(f"/admin/customers/{number}").status_code == 404
    assert as_admin.get(f"/admin/customers/{number}/edit").status_code == 404
    post = {"csrf_token": token}
    assert as_admin.post(f"/admin/customers/{number}/unlock", data=post).status_code == 404
    assert as_admin.post(f"/admin/staff/{number}/deactivate", data=post).status_code == 404
    _no_failure_logged(caplog)


def test_an_import_with_a_bare_cr_in_a_field_is_a_report(as_admin, caplog):
    caplog.set_level(logging.INFO)
    token = token_on(as_admin, "/admin/import")
    body = b"name,email,phone,type\nOne\rTwo,cr@example.com,,Household\n"
    answer = as_admin.post(
        "/admin/import", data={"file": (io.BytesIO(body), "c.csv"), "csrf_token": token}
    )
    assert answer.status_code == 200 and "rejected" in answer.get_data(as_text=True)
    _no_failure_logged(caplog)


def test_every_console_page_survives_hostile_query_strings(
    app, as_admin, admin_id, customer, caplog
):
    caplog.set_level(logging.INFO)
    paths = get_paths(app, customer, admin_id)
    assert "/admin/audit/" in paths and f"/admin/customers/{customer}" in paths
    queries = [{key: value} for key in URL_KEYS for value in ("x", "1", "POST", "%0a")]
    queries += [{key: value} for key in FILTERS for value in HOSTILE]
    queries.append({"_external": "1", "_scheme": "x", "_anchor": "\nalert(1)"})
    for path in paths:
        for query in queries:
            answer = as_admin.get(f"{path}?{urlencode(query)}")
            assert answer.status_code < 500, (path, query, answer.status_code)
            links = LINKS.findall(answer.get_data(as_text=True))
            assert not [u for u in links if "alert" in u.partition("#")[2] or u.startswith("x:")], (
                path,
                query,
            )
    _no_failure_logged(caplog)
