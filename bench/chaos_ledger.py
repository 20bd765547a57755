"""Counting what became of one chaos scenario's logins and codes.

- issued: logins whose code request the app accepted (HTTP 302): the app owes each a code;
- delivered: of those, the ones the SMTP sink got a message for;
- audited as failed: the rest with an ``otp_send_failed`` row in SQL (any reason, ``lost``
  included); ``otp_send_skipped`` rows (the code was gone or replaced before it went out)
  are counted apart and accounted for too;
- unaccounted: issued, yet neither delivered nor audited (must be 0);
- duplicates: messages beyond the first for one issued code (each customer asks once);
- seconds of errors: distinct seconds in which some login step failed;
- seconds to recover: from the fault to the start of the first login that succeeded after
  the last failing step (the fault's own duration included).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from bench.chaos_client import Attempt
from bench.chaos_sink import Sink

NOT_SENT_EVENTS = ("otp_send_failed", "otp_send_skipped")
NO_WORKER_SECONDS = 30  # issue 20: a killed worker shows in /healthz and /metrics by then


@dataclass
class Figures:
    """One scenario's line of the report."""

    scenario: str
    attempted: int = 0
    succeeded: int = 0
    failed: int = 0
    wrong: int = 0
    issued: int = 0
    delivered: int = 0
    audited_failed: int = 0
    audited_skipped: int = 0
    unaccounted: int = 0
    duplicates: int = 0
    error_seconds: int = 0
    recover_seconds: float = 0.0  # -1: no login succeeded after the last error
    grace_seconds: float = 0.0
    orphans: int = 0
    worker_restarts: int = 0
    # worker-kill: seconds from the SIGKILL until /healthz ("degraded", 0 workers) and
    # /metrics (otpauth_queue_workers 0) said so; -1: not within 60 s; None: not measured
    no_worker_health_seconds: float | None = None
    no_worker_metric_seconds: float | None = None
    note: str = ""

    def passed(self) -> bool:
        return self.wrong == 0 and self.unaccounted == 0 and self.no_worker_told()

    def no_worker_told(self) -> bool:
        """A dead worker shows in /healthz and /metrics within NO_WORKER_SECONDS (if measured)."""
        told = (self.no_worker_health_seconds, self.no_worker_metric_seconds)
        return all(s is None or 0 <= s <= NO_WORKER_SECONDS for s in told)

    def as_dict(self) -> dict:
        return asdict(self)


class Audit:
    """Reads the not-sent audit rows of the bench's customers from the app's database."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, pool_pre_ping=True)

    def not_sent(self) -> dict[str, set[str]]:
        """event -> contacts (bench-N@example.com) it was written for; {} if SQL is down."""
        query = text(
            "SELECT e.event, c.email FROM auth_events e JOIN customers c ON c.id = e.customer_id"
            " WHERE e.event IN ('otp_send_failed', 'otp_send_skipped')"
        )
        found: dict[str, set[str]] = {event: set() for event in NOT_SENT_EVENTS}
        try:
            with self.engine.connect() as conn:
                for event, email in conn.execute(query):
                    found[event].add(email)
        except SQLAlchemyError:
            return found
        return found

    def close(self) -> None:
        self.engine.dispose()


def unaccounted(issued: set[str], sink: Sink, audit: Audit) -> set[str]:
    delivered = set(sink.delivered())
    rows = audit.not_sent()
    return issued - delivered - rows["otp_send_failed"] - rows["otp_send_skipped"]


def settle(issued: set[str], sink: Sink, audit: Audit, grace: float) -> float:
    """Wait (at most ``grace`` s) until every issued code is accounted for; the wait."""
    started = time.monotonic()
    while unaccounted(issued, sink, audit) and time.monotonic() - started < grace:
        time.sleep(1)
    return time.monotonic() - started


def count(name: str, attempts: list[Attempt], sink: Sink, audit: Audit, fault_at: float) -> Figures:
    """The figures of one scenario, from its logins, the sink's mails and the audit rows."""
    issued = {a.contact for a in attempts if a.issued}
    mails = sink.delivered()
    rows = audit.not_sent()
    delivered = issued & set(mails)
    failed = (issued - delivered) & rows["otp_send_failed"]
    skipped = (issued - delivered - failed) & rows["otp_send_skipped"]
    errors = [a for a in attempts if a.error]
    last_error = max([fault_at, *(a.error_at for a in errors)])
    recovered = min((a.started for a in attempts if a.ok and a.started > last_error), default=None)
    return Figures(
        scenario=name,
        attempted=len(attempts),
        succeeded=sum(a.ok for a in attempts),
        failed=len(errors),
        wrong=sum(bool(a.wrong) for a in attempts),
        issued=len(issued),
        delivered=len(delivered),
        audited_failed=len(failed),
        audited_skipped=len(skipped),
        unaccounted=len(issued - delivered - failed - skipped),
        duplicates=sum(mails[c] - 1 for c in delivered),
        error_seconds=len({math.floor(a.error_at - fault_at) for a in errors}),
        recover_seconds=round(recovered - fault_at, 1) if recovered else -1.0,
    )
