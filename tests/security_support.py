"""Helpers shared by the security test modules (test_security_*, test_audit, test_fuzz, …).

Not a conftest: these are plain functions the modules import, so the lead's fixtures stay
untouched and each security module says which helpers it leans on.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.conftest import Auth, code_in, csrf_token

EMAIL = "test@example.com"
PHONE = "+919876543210"
LONG_SECRET = "production-secret-key-for-tests-0123456789"  # noqa: S105


def production_app(monkeypatch: pytest.MonkeyPatch, redis_client: Any, database_url: str, **extra):
    """An app on the production profile, on the test's Redis and database, senders faked."""
    from otpauth import create_app
    from otpauth.delivery import RecordingSender
    from otpauth.platform.extensions import db
    from otpauth.signin.models import AuthEvent, Customer

    monkeypatch.setenv("OTPAUTH_ENV", "production")
    overrides = {
        "DATABASE_URL": database_url,
        "REDIS_CLIENT": redis_client,
        "SECRET_KEY": LONG_SECRET,
        "REDIS_URL": "redis://unused.invalid:6379/0",  # the injected client is used instead
        "RATELIMIT_STORAGE_URI": "redis://embedded",
        "RATELIMIT_STORAGE_OPTIONS": {"connection_pool": redis_client.connection_pool},
        "TWILIO_ACCOUNT_SID": "ACtest",
        "TWILIO_AUTH_TOKEN": "token",
        "TWILIO_FROM_NUMBER": "+15005550006",
        "MAIL_SERVER": "smtp.example.org",  # production refuses SMTP without them
        "MAIL_DEFAULT_SENDER": "no-reply@example.org",
        **extra,
    }
    app = create_app(overrides)
    monkeypatch.setenv("OTPAUTH_ENV", "testing")
    with app.app_context():
        app.extensions["otpauth.delivery"].senders = {
            "email": RecordingSender(),
            "sms": RecordingSender(),
        }
        db.session.query(AuthEvent).delete()
        db.session.query(Customer).delete()
        db.session.commit()
    return app


def dispose(app) -> None:
    """Close the app's database connections (an open one would warn in a later test)."""
    from otpauth.platform.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def https_client(app):
    """A test client that talks HTTPS, so Secure cookies travel as in production."""
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    # Over HTTPS Flask-WTF also checks that forms come from our own pages.
    client.environ_base["HTTP_REFERER"] = "https://localhost/otp/request/"
    return client


def add_customer(app, **fields: Any) -> int:
    """Insert a customer and return its id."""
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    values = {"name": "Asha Rao", "customer_type": "Household", **fields}
    with app.app_context():
        customer = Customer(**values)
        db.session.add(customer)
        db.session.commit()
        return customer.id


def login(auth: Auth, sent: list, contact: str = EMAIL, channel: str = "email"):
    """Request a code and type it; return the verify response."""
    response = auth.request(contact, channel)
    assert response.status_code == 302, response.get_data(as_text=True)
    return auth.verify(code_in(sent[-1]))


def wrong(code: str) -> str:
    """A code of the same length that is certainly not ``code``."""
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def notice(response) -> str:
    """The page's error notice (the text an attacker compares), or ''."""
    match = re.search(r'role="alert">([^<]*)<', response.get_data(as_text=True))
    return match.group(1) if match else ""


def events(app, **where: Any) -> list:
    """The audit events, oldest first, optionally filtered by column values."""
    from sqlalchemy import select

    from otpauth.platform.extensions import db
    from otpauth.signin.models import AuthEvent

    with app.app_context():
        query = select(AuthEvent).order_by(AuthEvent.id).filter_by(**where)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def tag_of(app, channel: str, contact: str) -> str:
    """The keyed hash naming a contact (as in Redis keys and the audit trail)."""
    return app.extensions["otpauth.hasher"].tag(channel, contact)


def set_pending(client, app, channel: str = "email", contact: str = EMAIL) -> None:
    """Put a pending request in the session, as POST /otp/request/ would."""
    with client.session_transaction() as session:
        session["otp"] = {
            "channel": channel,
            "masked": "t***@example.com",
            "tag": tag_of(app, channel, contact),
            "exp": int(time.time()) + 300,
            "next": None,
        }


__all__ = ["Auth", "code_in", "csrf_token"]
