"""A queued job whose database connection dies during the recipient's look-up (PostgreSQL
restarted, its backends terminated): nothing was sent, so it is a temporary failure,
retried while the code lives, and audited when it gives up. Never dropped unsaid.

On PostgreSQL the look-up's own backend is really terminated (``pg_terminate_backend``);
on SQLite the driver's ``OperationalError`` is raised in its place.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from otpauth import audit
from otpauth.delivery import policy
from otpauth.extensions import db

pytest_plugins = ("tests.delivery_fixtures",)
pytestmark = pytest.mark.parametrize("backend", ["servers"], indirect=True)
CODE_RE = re.compile(r"\b(\d{6})\b")


@pytest.fixture
def settings(smtp_settings):
    # Retries without waiting, so a burst worker runs them all.
    return {**smtp_settings, "DELIVERY_MODE": "queue", "DELIVERY_RETRY_INTERVALS": (0, 0)}


def cut_off(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """The next ``times`` look-ups lose their database connection; the list counts tries."""
    real, tries = policy.recipient, []

    def lookup(job):  # noqa: ANN001, ANN202
        tries.append(1)
        if len(tries) > times:
            return real(job)
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        raise OperationalError("SELECT customers", {}, Exception("connection terminated"))

    monkeypatch.setattr(policy, "recipient", lookup)
    return tries


def outcomes(app) -> list[tuple[str, str | None]]:  # noqa: ANN001
    with app.app_context():
        events = audit.recent(limit=50)
    names = ("otp_sent", "otp_send_failed", "otp_send_skipped")
    return [(e.event, e.reason) for e in events if e.event in names]


def test_a_lookup_cut_off_by_the_database_is_retried_then_sent(
    app, run_worker, auth, customer, smtp_server, real_email, monkeypatch
):
    tries = cut_off(monkeypatch, times=1)
    auth.request()
    run_worker()
    assert len(tries) == 2  # the cut-off try, then the retry
    [received] = smtp_server.received
    assert received.rcpt_tos == ["test@example.com"]
    assert outcomes(app) == [("otp_sent", None)]
    code = CODE_RE.search(received.message.get_body(("plain",)).get_content())[1]
    assert auth.verify(code).headers["Location"] == "/dashboard/"


def test_a_database_down_for_every_try_is_audited_as_given_up(
    app, run_worker, auth, customer, smtp_server, real_email, monkeypatch
):
    tries = cut_off(monkeypatch, times=10)
    auth.request()
    run_worker()
    assert len(tries) == 3  # the first try and two retries
    assert smtp_server.received == []
    with app.app_context():
        [event] = audit.recent(event="otp_send_failed")
    assert (event.customer_id, event.reason) == (customer, "retries_exhausted")
    assert outcomes(app) == [("otp_send_failed", "retries_exhausted")]
