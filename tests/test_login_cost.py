"""What a login costs the database: a statement per step, counted (never timed).

bench/login_load.py measures the same under load; these keep it from creeping back up.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.security_support import code_in, events

LOGIN_EVENTS = ["otp_requested", "otp_queued", "otp_sent", "login"]


@contextmanager
def statements(app, any_thread: bool = False) -> Iterator[list[str]]:  # noqa: ANN001
    """The SQL statements the app runs inside the block: its requests' (the test client
    serves them on this thread), or with ``any_thread`` the send pool's and writer's too."""
    from otpauth.platform import autocommit
    from otpauth.platform.extensions import db

    seen: list[str] = []
    requests_thread = threading.get_ident()
    with app.app_context():
        engines = [db.engine, autocommit.engine(app)]  # the login's own statements: the second

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if any_thread or threading.get_ident() == requests_thread:
            seen.append(statement.split()[0].upper())

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


BATCHED = {"AUDIT_FLUSH_SECONDS": 60}  # production's batched audit: the test flushes


@pytest.mark.parametrize("settings", [BATCHED])
def test_each_step_of_a_login_costs_one_statement(app, auth, client, customer, outbox, settings):
    with statements(app) as sent:
        assert auth.request().status_code == 302
    code = code_in(outbox[-1])
    auth.client.get("/otp/verify/")
    with statements(app) as verified:
        assert auth.verify(code).headers["Location"] == "/dashboard/"
    assert sent == ["SELECT"]  # who the contact is; the audit rows wait for their batch
    assert verified == ["UPDATE"]  # check active, stamp the login, load the customer
    app.extensions["otpauth.audit"].flush()
    assert sorted(e.event for e in events(app)) == sorted(LOGIN_EVENTS)
    with statements(app) as dashboard:
        page = client.get("/dashboard/").get_data(as_text=True)
    # The user loader loads the customer, the page its recent sign-ins (issue 21: each page
    # loads its own data): one statement each.
    assert dashboard == ["SELECT", "SELECT"]
    assert "Asha Rao" in page and "127.0.0.1" in page  # the sign-in is listed


def test_customer_deactivated_after_the_request_cannot_log_in(app, auth, client, customer, outbox):
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    auth.request()
    with app.app_context():
        db.session.get(Customer, customer).active = False
        db.session.commit()
    page = auth.verify(code_in(outbox[-1]))
    assert page.status_code == 400 and "OTP has expired" in page.get_data(as_text=True)
    assert client.get("/dashboard/").status_code == 302
    with app.app_context():
        assert db.session.get(Customer, customer).last_login_at is None


@pytest.mark.parametrize("settings", [BATCHED])
def test_a_whole_login_with_its_send_costs_four_statements(
    app, auth, client, customer, outbox, settings
):
    """The send pool gets the contact from the request: it looks nobody up again."""
    with statements(app, any_thread=True) as seen:
        auth.request()  # drains the inline pool: the mail has gone out
        assert auth.verify(code_in(outbox[-1])).status_code == 302
        assert client.get("/dashboard/").status_code == 200
    # who, stamp, the customer, the sign-ins; plus one batched audit INSERT a second
    assert seen == ["SELECT", "UPDATE", "SELECT", "SELECT"]


@pytest.mark.parametrize("settings", [BATCHED])
def test_a_strangers_send_costs_the_same_statements(app, auth, outbox, settings):
    with statements(app, any_thread=True) as seen:
        auth.request("nobody@example.com")
    assert seen == ["SELECT"] and outbox == []  # the same look-up; no mail, no more SQL
