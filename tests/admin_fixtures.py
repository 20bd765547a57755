"""Fixtures for the console's tests (``pytest_plugins = ("tests.admin_fixtures",)``)."""

from __future__ import annotations

import pytest

from otpauth.platform.extensions import db
from otpauth.signin.models import Authenticator, RecoveryCode, Staff
from tests.admin_support import add_staff, sign_in


@pytest.fixture
def clean_staff(app):
    """No staff, authenticators or recovery codes from an earlier test."""
    with app.app_context():
        db.session.query(RecoveryCode).delete()
        db.session.query(Authenticator).delete()
        db.session.query(Staff).delete()
        db.session.commit()


@pytest.fixture
def admin_id(app, clean_staff) -> int:
    return add_staff(app, "admin")


@pytest.fixture
def support_id(app, clean_staff) -> int:
    return add_staff(app, "support")


@pytest.fixture
def as_admin(client, admin_id):
    sign_in(client, admin_id)
    return client


@pytest.fixture
def as_support(client, support_id):
    sign_in(client, support_id)
    return client
