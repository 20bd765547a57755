"""Production's audit writer: each process buffers events and writes them in one INSERT."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from tests.security_support import events, login

BATCHED = {"AUDIT_FLUSH_SECONDS": 60, "OTP_RESEND_COOLDOWN_SECONDS": 0}  # the test flushes

LOGIN_EVENTS = ["otp_requested", "otp_queued", "otp_sent", "login"]


def _inserts(app) -> list[str]:  # noqa: ANN001
    """Every INSERT into auth_events the app's engine runs from now on."""
    from otpauth.platform.extensions import db

    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _record(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("INSERT INTO AUTH_EVENTS"):
            seen.append(statement)

    return seen


@pytest.mark.parametrize("settings", [BATCHED])
def test_events_wait_in_the_buffer_and_go_in_one_insert(app, auth, customer, outbox, settings):
    inserts = _inserts(app)
    login(auth, outbox)
    auth.logout()
    assert events(app) == [] and inserts == []  # buffered, nothing written yet
    app.extensions["otpauth.audit"].flush()
    assert sorted(e.event for e in events(app)) == sorted(LOGIN_EVENTS + ["logout"])
    assert len(inserts) == 1  # four events of three requests: one statement


@pytest.mark.parametrize("settings", [BATCHED])
def test_a_refused_batch_is_logged_kept_and_written_later(
    app, auth, customer, outbox, monkeypatch, caplog
):
    from sqlalchemy import text

    from otpauth.signin import audit_writer

    login(auth, outbox)  # the database refuses the batch:
    monkeypatch.setattr(audit_writer, "INSERT", text("INSERT INTO no_such_table VALUES (1)"))
    app.extensions["otpauth.audit"].flush()
    assert "audit: could not write 4 event(s)" in caplog.text
    app.extensions["otpauth.audit"].flush()  # refused again: no second line
    assert caplog.text.count("audit: could not write") == 1 and events(app) == []
    monkeypatch.undo()
    login(auth, outbox)  # the spooled batch is written with the next one, once
    app.extensions["otpauth.audit"].flush()
    assert sorted(e.event for e in events(app)) == sorted(LOGIN_EVENTS * 2)
    assert "audit: writing again after" in caplog.text


@pytest.mark.parametrize("settings", [BATCHED])
def test_dashboard_previous_sign_in_while_the_login_is_not_written_yet(
    app, auth, client, customer, outbox, settings
):
    login(auth, outbox)
    app.extensions["otpauth.audit"].flush()
    auth.logout()
    login(auth, outbox)  # this login's row still waits in the buffer
    with app.app_context():
        first = events(app, event="login")[0].at.strftime("%H:%M")
    page = client.get("/dashboard/").get_data(as_text=True)
    previous = page.split('class="previous-sign-in"')[1].split("</dd>")[0]
    assert first in previous  # the first login, not "none before this one"
