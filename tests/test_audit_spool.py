"""The durable audit trail: a killed process's events reach SQL through its spool, once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

import config
from otpauth.platform.extensions import db
from otpauth.signin import audit_writer
from otpauth.signin.audit_writer import AuditWriter
from otpauth.signin.models import AuthEvent
from tests.security_support import events, login

ROOT = Path(__file__).resolve().parent.parent
SPOOLED = {"AUDIT_FLUSH_SECONDS": 3600, "OTP_RESEND_COOLDOWN_SECONDS": 0}  # no timed flush
COUNT = 300
# A process of its own: records COUNT events (no request: straight to its spool), then,
# with "crash", writes them and is killed between the commit and the spool's header.
CHILD = """
import os, signal, sys, time
import fakeredis
from otpauth import create_app
from otpauth.signin import audit, audit_spool
url, spool, crash = sys.argv[1], sys.argv[2], sys.argv[3] == "crash"
app = create_app({"DATABASE_URL": url, "REDIS_CLIENT": fakeredis.FakeRedis(),
                  "AUDIT_FLUSH_SECONDS": 3600, "AUDIT_SPOOL_DIR": spool})
with app.app_context():
    for i in range(COUNT):
        audit.record("otp_rate_limited", contact_hash=f"killed-{i}", reason="spool-test")
    if crash:
        audit_spool.SpoolFile.mark = lambda self, end: os.kill(os.getpid(), signal.SIGKILL)
        audit.writer().flush()
print("ready", flush=True)
time.sleep(120)
""".replace("COUNT", str(COUNT))


def killed_child(app, mode: str) -> None:  # noqa: ANN001
    """Run CHILD against the app's database and spool; SIGKILL it once it is ready."""
    env = {k: v for k, v in os.environ.items() if k not in config.PARSERS}
    env["OTPAUTH_ENV"] = "testing"
    args = [app.config["DATABASE_URL"], app.config["AUDIT_SPOOL_DIR"], mode]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        line = child.stdout.readline()  # "ready", or "" once the crash mode killed itself
        if line:
            child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL
    finally:
        child.kill()
        child.stdout.close()


def spooled_rows(app) -> dict[str, int]:  # noqa: ANN001
    """How many times each of the child's events is in SQL."""
    with app.app_context():
        query = (
            select(AuthEvent.contact_hash, func.count())
            .where(AuthEvent.reason == "spool-test")
            .group_by(AuthEvent.contact_hash)
        )
        return dict(db.session.execute(query).all())


@pytest.mark.parametrize("settings", [SPOOLED])
def test_a_sigkilled_process_loses_no_event(app, settings):
    killed_child(app, "spool-only")
    assert spooled_rows(app) == {}  # nothing in SQL yet: all of it in the dead spool
    assert app.extensions["otpauth.audit"].adopt() == 1
    assert spooled_rows(app) == {f"killed-{i}": 1 for i in range(COUNT)}
    assert not list(Path(app.config["AUDIT_SPOOL_DIR"]).glob("*.jsonl"))


@pytest.mark.parametrize("settings", [SPOOLED])
def test_killed_between_commit_and_mark_no_event_twice(app, settings):
    killed_child(app, "crash")
    assert len(spooled_rows(app)) == COUNT  # committed, but the spool does not know
    assert app.extensions["otpauth.audit"].adopt() == 1
    assert spooled_rows(app) == {f"killed-{i}": 1 for i in range(COUNT)}


@pytest.mark.parametrize("settings", [SPOOLED])
def test_a_live_process_spool_is_not_adopted(app, auth, customer, outbox, settings):
    login(auth, outbox)  # this app's spool holds the login's events
    neighbour = AuditWriter(app, 3600, app.config["AUDIT_SPOOL_DIR"])
    assert neighbour.adopt() == 0 and events(app) == []
    app.extensions["otpauth.audit"].flush()
    assert len(events(app)) == 4


@pytest.mark.parametrize("settings", [SPOOLED])
def test_a_written_spool_is_replaced_by_a_new_file(
    app, auth, customer, outbox, settings, monkeypatch
):
    writer = app.extensions["otpauth.audit"]
    login(auth, outbox)
    first = writer.spool.path
    monkeypatch.setattr(audit_writer, "ROTATE_BYTES", 1)
    writer.flush()
    monkeypatch.undo()
    assert writer.spool.path != first and not os.path.exists(first)
    login(auth, outbox)
    writer.flush()
    assert len(events(app)) == 8  # every event once, across the two files


@pytest.mark.parametrize("settings", [{**SPOOLED, "AUDIT_SPOOL_DIR": "/proc/no-spool-here"}])
def test_without_a_usable_spool_the_events_go_straight_to_sql(
    app, auth, customer, outbox, settings, caplog
):
    login(auth, outbox)
    assert "audit: cannot spool to /proc/no-spool-here" in caplog.text
    assert len(events(app)) == 4  # written in their requests, none lost
