"""Crafted query strings on every customer page: never a 5xx, a traceback or a moved link.

The language switcher once splatted the request's arguments into ``url_for``: ``endpoint``
or ``values`` made it raise (a bare 500), ``_method=POST`` built a rule for POST (a 500 on
GET-only pages) and ``_external``, ``_scheme`` and ``_anchor`` rewrote every language link
(issue 19, finding 6). Each such key, alone and together, on every GET route outside the
console, for a visitor, a visitor with a pending request and a signed-in customer.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask

from tests.conftest import Auth
from tests.security_support import EMAIL, login

KEYS = ("endpoint", "_method", "_external", "_scheme", "_anchor", "values")
VALUES = ("x", "1", "POST", "\nalert(1)", "https://evil.example/")
QUERIES = [
    *[{key: value} for key in KEYS for value in VALUES],
    {key: "1" for key in KEYS},
    {"_external": "1", "_scheme": "x", "_anchor": "\nalert(1)", "lang": "hi"},
]
LINK_RE = re.compile(r'<a [^>]*href="([^"]*lang=[^"]*)"')


def customer_get_paths(app: Flask) -> list[str]:
    """Every GET route without arguments outside the staff console."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith("/admin")
    )


def check(response, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    """No server error, nothing logged at ERROR, and language links on this site only."""
    assert response.status_code < 500, response.status_code
    assert "Traceback" not in response.get_data(as_text=True)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors]
    for href in LINK_RE.findall(response.get_data(as_text=True)):
        parts = urlsplit(href.replace("&amp;", "&"))
        assert (parts.scheme, parts.netloc, parts.fragment) == ("", "", ""), href
        assert href.startswith("/") and not href.startswith("//"), href


@pytest.fixture
def visitors(app, client, customer, outbox) -> dict:  # noqa: ANN001
    """A new visitor, one with a pending request, and a signed-in customer."""
    pending = app.test_client()
    assert Auth(pending).request("nobody@example.com").status_code == 302
    assert login(Auth(client), outbox, EMAIL).status_code == 302
    return {"new": app.test_client(), "pending": pending, "signed in": client}


def test_hostile_keys_on_every_customer_get_route(app, visitors, caplog):
    paths = customer_get_paths(app)
    assert {"/otp/request/", "/otp/verify/", "/dashboard/", "/account/sessions/"} <= set(paths)
    caplog.set_level(logging.INFO)
    for who, browser in visitors.items():
        for path in paths:
            for query in QUERIES:
                response = browser.get(f"{path}?{urlencode(query)}")
                assert response.status_code < 500, (who, path, query)
                check(response, caplog)
    # The pages that show the switcher did show it (so the links were checked).
    page = visitors["signed in"].get("/dashboard/?endpoint=x&_method=POST")
    assert page.status_code == 200 and LINK_RE.findall(page.get_data(as_text=True))


def test_language_links_keep_other_arguments_and_replace_lang(app, client):
    page = client.get("/otp/request/?next=/account/sessions/&lang=hi&endpoint=x")
    links = LINK_RE.findall(page.get_data(as_text=True))
    assert "/otp/request/?next=%2Faccount%2Fsessions%2F&amp;endpoint=x&amp;lang=en" in links
    assert all(link.count("lang=") == 1 for link in links)


@pytest.mark.parametrize("path", ["//evil.example/x", "/%2Fevil.example/x", "/%5C%5Cevil.example"])
def test_a_page_that_is_not_found_links_to_this_site(app, client, caplog, path):
    caplog.set_level(logging.INFO)
    response = client.get(f"{path}?_external=1&_anchor=a")
    assert response.status_code == 404
    check(response, caplog)
