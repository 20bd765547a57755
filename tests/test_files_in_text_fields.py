"""Issue 19, finding 7: a file where text belongs is a 400 on every form, never a 500."""

from __future__ import annotations

import io
import logging

import pytest
from flask import url_for

from tests.admin_support import add_staff, sign_in, token_on

pytest_plugins = ("tests.admin_fixtures",)
TEXT_FIELDS = [
    "email",
    "password",
    "confirm",
    "code",
    "contact",
    "channel",
    "name",
    "phone",
    "type",
    "next",
    "altcha",
    "q",
    "csrf_token",
]


def post_paths(app) -> list[str]:  # noqa: ANN001
    """A URL for every route that takes a POST (path arguments filled in)."""
    paths = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "POST" not in (rule.methods or ()) or rule.endpoint == "static":
                continue
            paths.append(url_for(rule.endpoint, **dict.fromkeys(rule.arguments, 1)))
    return sorted(paths)


def _file() -> tuple:
    return (io.BytesIO(b"a file, not text"), "x.txt")


@pytest.mark.parametrize("who", ["stranger", "staff"])
def test_a_file_in_any_text_field_of_any_form_is_a_400(app, client, clean_staff, who, caplog):
    if who == "staff":
        sign_in(client, add_staff(app, "admin"))
    token = token_on(client, "/admin/login/")
    paths = post_paths(app)
    assert "/admin/login/" in paths and "/otp/request/" in paths and len(paths) >= 15
    caplog.set_level(logging.INFO)
    for path in paths:
        for field in TEXT_FIELDS:
            data = {"csrf_token": token, "email": "a@b.example", "password": "x", field: _file()}
            answer = client.post(path, data=data, content_type="multipart/form-data")
            assert answer.status_code == 400, (path, field, answer.status_code)
    assert "Traceback" not in caplog.text and "unexpected error" not in caplog.text


def test_the_staff_forms_of_the_report(app, client, clean_staff, runner):
    """The three crashes issue 19 reported, one by one."""
    token = token_on(client, "/admin/login/")
    for field in ("email", "password"):
        data = {"email": "a@ops.example.com", "password": "x", "csrf_token": token}
        data[field] = _file()
        assert client.post("/admin/login/", data=data).status_code == 400
    out = runner.invoke(
        args=["staff", "create", "--email", "r@ops.example.com", "--name", "R", "--role", "admin"]
    ).output
    link = out[out.index("/admin/setup/") :].split()[0]
    data = {"password": _file(), "confirm": "x", "csrf_token": token_on(client, link)}
    assert client.post(link, data=data).status_code == 400


def test_the_import_still_takes_its_file(as_admin):
    token = token_on(as_admin, "/admin/import")
    csv_file = (io.BytesIO(b"name,email,phone,type\nF,f@example.com,,Household\n"), "c.csv")
    answer = as_admin.post("/admin/import", data={"file": csv_file, "csrf_token": token})
    assert answer.status_code == 200 and "1 imported" in answer.get_data(as_text=True)
