"""Helpers for the console's operator tests (issue 24): a month of history, a locked-out
customer, a thousand imported customers, posting a console form with its CSRF token."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from otpauth.platform.extensions import db
from otpauth.signin.models import AuthEvent, Customer
from tests.conftest import Auth

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def seed_history(app: Any, events: int = 1500, seed: int = 11) -> None:
    """A month of sign-in events, so the overview's charts have something to show."""
    rng, now = random.Random(seed), datetime.now(UTC)
    kinds = ["otp_requested"] * 5 + ["otp_sent"] * 5 + ["login"] * 4 + ["otp_verify_failed"]
    with app.app_context():
        db.session.add_all(
            AuthEvent(
                event=rng.choice(kinds),
                channel=rng.choice(["email", "sms"]),
                at=now - timedelta(minutes=rng.randrange(30 * 24 * 60)),
            )
            for _ in range(events)
        )
        db.session.commit()


def lock_out(app: Any, code_sent: Callable[[], str], tries: int = 2) -> None:
    """The demo customer asks for a code and guesses wrong ``tries`` times (``code_sent``
    answers the code that went out, so the wrong guess differs from it)."""
    auth = Auth(app.test_client())
    auth.request()
    wrong = "000000" if code_sent() != "000000" else "111111"
    for _ in range(tries):
        auth.verify(wrong)


def many_customers(app: Any, count: int = 1000) -> list[int]:
    """``count`` customers ``cust0001@example.org`` … with phones ``+9198100 0NNNN``."""
    rows = [
        {
            "name": f"Customer {n:04d}",
            "email": f"cust{n:04d}@example.org",
            "phone": f"+91981000{n:04d}",
            "customer_type": "Household",
            "active": True,
        }
        for n in range(1, count + 1)
    ]
    with app.app_context():
        db.session.execute(Customer.__table__.insert(), rows)
        db.session.commit()
        wanted = [r["email"] for r in rows]
        found = db.session.query(Customer.id).filter(Customer.email.in_(wanted))
        return [row.id for row in found.order_by(Customer.id)]


def csrf_of(html: str) -> str:
    """The first CSRF token in a page."""
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def post_form(client: Any, page_path: str, action: str, data: dict | None = None) -> Any:
    """POST ``data`` to ``action`` with the CSRF token of the form on ``page_path``."""
    token = csrf_of(client.get(page_path).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **(data or {})})


def audit_rows(app: Any, event: str) -> list[AuthEvent]:
    """Every written audit event of one kind, oldest first."""
    with app.app_context():
        rows = db.session.query(AuthEvent).filter_by(event=event).order_by(AuthEvent.id).all()
        db.session.expunge_all()
        return rows
