"""The CLI as a new operator reads it (issue 24): one time zone, labelled, in every listing
(`--utc` for UTC), an export that says what it wrote, `staff create` links on `PUBLIC_URL`,
and no silent default for an empty type or a landline."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from otpauth.platform.extensions import db
from otpauth.signin.models import AuthEvent, Customer, Staff

# 03:04:05 UTC is 08:34:05 in Asia/Kolkata (IST, +05:30): the two can never be confused.
MOMENT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SETTINGS = {"DISPLAY_TIMEZONE": "Asia/Kolkata", "PUBLIC_URL": "http://127.0.0.1:5600"}


@pytest.fixture
def settings() -> dict:
    return dict(SETTINGS)


@pytest.fixture
def history(app, customer) -> int:
    """The demo customer signed in at MOMENT; one event then; one staff member then."""
    with app.app_context():
        db.session.get(Customer, customer).last_login_at = MOMENT
        db.session.add(AuthEvent(event="login", customer_id=customer, channel="email", at=MOMENT))
        db.session.query(Staff).delete()
        db.session.add(
            Staff(email="ravi@ops.example.com", name="Ravi", role="admin", last_login_at=MOMENT)
        )
        db.session.commit()
    return customer


@pytest.mark.parametrize(
    "command",
    [["customers", "list"], ["customers", "show", "1"], ["staff", "list"], ["audit", "tail"]],
)
def test_times_are_in_the_display_zone_and_labelled(runner, history, command):
    if command[1] == "show":
        command = ["customers", "show", str(history)]
    out = runner.invoke(args=command)
    assert out.exit_code == 0, out.output
    assert "2026-01-02 08:34" in out.output and "IST" in out.output, out.output
    assert "03:04" not in out.output
    utc = runner.invoke(args=[*command, "--utc"])
    assert utc.exit_code == 0, utc.output
    assert "2026-01-02 03:04" in utc.output and "UTC" in utc.output
    assert "08:34" not in utc.output


def test_export_says_how_many_rows_went_where(runner, history, tmp_path):
    target = tmp_path / "customers.csv"
    out = runner.invoke(args=["customers", "export", str(target)])
    assert out.exit_code == 0
    assert f"1 customer(s) written to {target}" in out.output
    assert target.read_text(encoding="utf-8").count("\n") == 2
    to_stdout = runner.invoke(args=["customers", "export"])
    assert to_stdout.stdout.startswith("name,email,phone,type,active\n")
    assert "written to" not in to_stdout.stdout and "1 customer(s)" in to_stdout.stderr


def test_staff_create_prints_the_link_on_public_url(runner, app):
    with app.app_context():
        db.session.query(Staff).delete()
        db.session.commit()
    args = ["staff", "create", "--email", "m@ops.example.com", "--name", "M", "--role", "support"]
    out = runner.invoke(args=args)
    assert out.exit_code == 0, out.output
    link = next(line for line in out.output.splitlines() if "/admin/setup/" in line)
    assert link.startswith("http://127.0.0.1:5600/admin/setup/")
    assert app.test_client().get(link.removeprefix("http://127.0.0.1:5600")).status_code == 200


@pytest.mark.parametrize("settings", [{"PUBLIC_URL": "https://billing.example.org"}])
def test_the_link_follows_public_url_in_any_profile(runner, app, settings):
    with app.app_context():
        db.session.query(Staff).delete()
        db.session.commit()
    args = ["staff", "create", "--email", "n@ops.example.com", "--name", "N", "--role", "admin"]
    assert "https://billing.example.org/admin/setup/" in runner.invoke(args=args).output


def test_a_landline_is_refused_for_sms_by_create_and_import(runner, tmp_path):
    out = runner.invoke(
        args=["customers", "create", "--name", "Office", "--phone", "+91 80 2222 3333"]
    )
    assert out.exit_code != 0 and "mobile" in out.output
    path = tmp_path / "c.csv"
    path.write_text("name,email,phone,type\nOffice,o@example.com,+91 80 2222 3333,Commercial\n")
    imported = runner.invoke(args=["customers", "import", str(path)])
    assert "line 2: phone:" in imported.output and "mobile" in imported.output
    assert "0 imported, 1 rejected" in imported.output


def test_an_empty_type_in_an_import_is_a_rejection(runner, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("name,email,phone,type\nNo Type,nt@example.com,,\n")
    out = runner.invoke(args=["customers", "import", str(path)])
    assert "line 2: type:" in out.output and "0 imported, 1 rejected" in out.output


def test_deactivate_takes_a_reason_into_the_audit_event(runner, app, customer):
    out = runner.invoke(args=["customers", "deactivate", str(customer), "--reason", "Moved"])
    assert out.exit_code == 0, out.output
    with app.app_context():
        reasons = db.session.scalars(
            db.select(AuthEvent.reason).where(AuthEvent.event == "customer_deactivated")
        ).all()
    assert reasons == ["Moved"]
