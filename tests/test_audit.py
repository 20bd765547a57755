"""The audit trail: what each step writes, that a failing write never breaks a login, the
``audit tail`` command, the dashboard's recent sign-ins and verified contacts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Insert
from sqlalchemy.exc import OperationalError

from tests.security_support import (
    EMAIL,
    PHONE,
    add_customer,
    code_in,
    events,
    login,
    tag_of,
    wrong,
)

AGENT = "Mozilla/5.0 (audit-test)"


def test_a_login_leaves_a_trail_without_contacts(app, client, auth, customer, outbox):
    client.environ_base["HTTP_USER_AGENT"] = AGENT
    auth.request()
    auth.verify(wrong(code_in(outbox[-1])))
    assert auth.verify(code_in(outbox[-1])).headers["Location"] == "/dashboard/"
    auth.logout()
    rows = events(app)
    assert [e.event for e in rows] == [
        "otp_requested",
        "otp_queued",
        "otp_sent",
        "otp_verify_failed",
        "login",
        "logout",
    ]
    # otp_sent is written by the sender (the inline pool or the worker), outside the request.
    requested = [e for e in rows if e.event != "otp_sent"]
    assert {(e.customer_id, e.channel, e.ip, e.user_agent) for e in requested} == {
        (customer, "email", "127.0.0.1", AGENT)
    }
    assert {(e.customer_id, e.channel) for e in rows} == {(customer, "email")}
    assert {e.contact_hash for e in rows[:5]} == {tag_of(app, "email", EMAIL)}
    assert all(e.at is not None for e in rows)
    for e in rows:  # the address never reaches the table
        assert "example.com" not in repr(vars(e)) and "test@" not in repr(vars(e))


def test_unknown_contact_is_audited_without_a_customer(app, auth, outbox):
    auth.request("nobody@example.com")
    auth.verify("123456")
    rows = events(app)
    assert [(e.event, e.customer_id) for e in rows] == [
        ("otp_requested", None),
        ("otp_queued", None),  # a job is queued for every contact; the sender drops it
        ("otp_verify_failed", None),
    ]
    assert rows[0].contact_hash == tag_of(app, "email", "nobody@example.com")


def test_locked_and_rate_limited_are_audited(app, auth, customer, outbox):
    auth.request()
    for _ in range(5):
        auth.verify(wrong(code_in(outbox[-1])))
    assert auth.request().status_code == 429  # the resend cooldown
    kinds = [e.event for e in events(app)]
    assert kinds.count("otp_verify_failed") == 4
    assert kinds.count("otp_locked") == 1
    assert kinds[-1] == "otp_rate_limited"


def test_sms_login_is_audited_with_its_channel(app, auth, customer, sms):
    login(auth, sms, "9876543210", "sms")
    assert [e.channel for e in events(app, event="login")] == ["sms"]
    assert events(app, event="login")[0].contact_hash == tag_of(app, "sms", PHONE)


@pytest.mark.parametrize("agent", ["evil\x00agent", "x" * 5000, "\x01\x7f\xff é"])
def test_hostile_user_agent_cannot_erase_the_trail(app, client, auth, customer, outbox, agent):
    client.environ_base["HTTP_USER_AGENT"] = agent
    login(auth, outbox)
    rows = events(app)
    assert [e.event for e in rows] == ["otp_requested", "otp_queued", "otp_sent", "login"]
    for e in rows:
        if e.event != "otp_sent":  # written by the sender, outside the request
            assert e.user_agent and len(e.user_agent) <= 256 and "\x00" not in e.user_agent


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (X11; Linux x86_64)"),
        ("evil\x00agent\r\n", "evilagent"),
        ("\x00" * 10 + "x" * 300, "x" * 256),  # cut after the control characters go
        ("\x00\t", None),
        ("", None),
        (None, None),
    ],
)
def test_printable_drops_control_characters_then_cuts(value, kept):
    from otpauth.signin.audit import printable

    assert printable(value, 256) == kept


@pytest.mark.parametrize("settings", [{"TRUSTED_PROXIES": 1}])
def test_hostile_forwarded_for_cannot_erase_the_trail(
    app, client, auth, customer, outbox, settings
):
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "\x00" * 10 + "1" * 100
    login(auth, outbox)
    rows = events(app)
    assert [e.event for e in rows] == ["otp_requested", "otp_queued", "otp_sent", "login"]
    assert all(len(e.ip) <= 45 and "\x00" not in e.ip for e in rows if e.event != "otp_sent")


def test_a_failing_audit_write_is_logged_and_the_login_goes_on(
    app, client, auth, customer, outbox, monkeypatch, caplog
):
    from otpauth.platform.extensions import db

    real_execute = db.session.execute

    def execute(statement, *args, **kwargs):  # noqa: ANN001, ANN202 - refuses audit rows only
        if isinstance(statement, Insert) and statement.table.name == "auth_events":
            raise OperationalError("INSERT INTO auth_events", {}, Exception("disk full"))
        return real_execute(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", execute)
    assert login(auth, outbox).headers["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200
    assert "audit: could not write" in caplog.text
    monkeypatch.undo()
    assert events(app) == []


def _tail(runner, *args: str):
    return runner.invoke(args=["audit", "tail", *args])


def test_audit_tail_prints_filters_and_limits(app, auth, runner, customer, outbox):
    other = add_customer(app, name="Ravi", email="ravi@example.com")
    login(auth, outbox)
    auth.logout()
    login(auth, outbox, "ravi@example.com")
    result = _tail(runner)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    # Each login: requested, queued, sent, login.
    assert len(lines) == 9 and "login" in lines[3] and "logout" in lines[4]
    assert "example.com" not in result.output
    assert re.search(rf"customer={customer}\s.*channel=email.*ip=127\.0\.0\.1", lines[3])
    only = _tail(runner, "--customer", str(other)).output.splitlines()
    assert len(only) == 4 and all(f"customer={other}" in line for line in only)
    assert _tail(runner, "--limit", "2").output.splitlines() == lines[-2:]


@pytest.mark.parametrize(
    "args",
    [["--customer", "abc"], ["--customer", "0"], ["--limit", "0"], ["--customer", str(10**30)]],
)
def test_audit_tail_refuses_bad_options_cleanly(app, runner, args):
    result = _tail(runner, *args)
    assert result.exit_code == 2 and "Invalid value" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


SIX_LOGINS = {"OTP_RESEND_COOLDOWN_SECONDS": 0, "OTP_MAX_REQUESTS": 100, "TRUSTED_PROXIES": 1}


@pytest.mark.parametrize("settings", [SIX_LOGINS])
def test_dashboard_shows_last_five_sign_ins(app, client, auth, customer, outbox, sms, settings):
    for i in range(6):
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{i}"
        channel, sent = ("sms", sms) if i == 5 else ("email", outbox)
        login(auth, sent, "9876543210" if i == 5 else EMAIL, channel)
    page = client.get("/dashboard/").get_data(as_text=True)
    row = r"<tr><td><time [^>]+>[^<]+</time></td><td>([^<]+)</td><td>([^<]+)</td>"
    rows = re.findall(row, page)
    assert rows == [("SMS", "203.0.113.5")] + [("e-mail", f"203.0.113.{i}") for i in (4, 3, 2, 1)]


def _badges(page: str) -> list[str]:
    return re.findall(r'<span class="badge \w+">([^<]+)</span>', page)


def test_each_login_proves_its_own_contact(app, client, auth, customer, outbox, sms):
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    login(auth, outbox)
    assert _badges(client.get("/dashboard/").get_data(as_text=True)) == [
        "verified",
        "not verified",
    ]
    with app.app_context():
        c = db.session.get(Customer, customer)
        assert c.email_verified_at is not None and c.phone_verified_at is None
    auth.logout()
    login(auth, sms, "9876543210", "sms")
    assert _badges(client.get("/dashboard/").get_data(as_text=True)) == ["verified", "verified"]


def test_a_failed_login_proves_nothing(app, auth, customer, outbox):
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    auth.request()
    auth.verify(wrong(code_in(outbox[-1])))
    with app.app_context():
        c = db.session.get(Customer, customer)
        assert c.email_verified_at is None and c.last_login_at is None


def test_migrations_match_the_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from otpauth.platform.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []
