"""Ops-facing errors: one line naming the cause, never a traceback; `audit tail` filters."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from otpauth.platform.extensions import db
from otpauth.signin.models import AuthEvent
from otpauth.signin.otp import hasher
from tests.admin_support import add_staff

pytest_plugins = ("tests.admin_fixtures",)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("url", ["not a url", "postgres://user:pw-secret@db/x", "sqlite+nope:///"])
def test_a_malformed_database_url_stops_the_start_in_one_line(url):
    env = {**os.environ, "DATABASE_URL": url, "OTPAUTH_ENV": "development"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "customers", "list"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 4
    lines = [line for line in result.stderr.splitlines() if "configuration error" in line]
    assert len(lines) == 1 and "DATABASE_URL is not a usable SQLAlchemy URL" in lines[0]
    assert "Traceback" not in result.stderr and "pw-secret" not in result.stderr


@pytest.mark.parametrize("settings", [{"REDIS_URL": "redis://127.0.0.1:1/0"}])
@pytest.mark.parametrize(
    "args", [["customers", "show", "{cid}"], ["customers", "unlock", "--email", "a@example.com"]]
)
def test_redis_down_is_one_line(runner, customer, settings, args):
    result = runner.invoke(args=[a.format(cid=customer) for a in args])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: redis error (ConnectionError); is REDIS_URL right and Redis running?"
    ]


def test_database_down_is_one_line(redis_client):
    from otpauth import create_app

    app = create_app(
        {
            "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "REDIS_CLIENT": redis_client,
        }
    )
    for args in (["staff", "list"], ["customers", "deactivate", "1"]):
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 1
        assert result.output.startswith("Error: database error (OperationalError)")
        assert len(result.output.strip().splitlines()) == 1
    with app.app_context():
        db.engine.dispose()


def test_audit_tail_by_contact_shows_the_staff_member(app, runner, customer, clean_staff):
    staff_id = add_staff(app, "support")
    with app.app_context():
        tag = hasher().tag("sms", "+919876543210")
        db.session.add_all(
            [
                AuthEvent(
                    event="contact_unlocked", channel="sms", contact_hash=tag, staff_id=staff_id
                ),
                AuthEvent(event="otp_requested", channel="email", contact_hash="other"),
            ]
        )
        db.session.commit()
    result = runner.invoke(args=["audit", "tail", "--phone", "098765 43210"])
    assert result.exception is None, repr(result.exception)
    output = result.output
    assert "contact_unlocked" in output and "otp_requested" not in output
    assert f"staff={staff_id}:support@ops.example.com" in output
    assert runner.invoke(args=["audit", "tail", "--email", "x@example.com"]).output == ""
    bad = runner.invoke(args=["audit", "tail", "--email", "nope"])
    assert bad.exit_code == 2 and "valid e-mail" in bad.output
