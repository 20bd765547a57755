"""Helpers for the console's tests: staff members, signing them in, CSRF tokens."""

from __future__ import annotations

import functools
import re

from otpauth.platform.extensions import db
from otpauth.signin.models import Staff
from tests.session_support import plant_session

PASSWORD = "correct horse battery staple"


@functools.cache
def _hash(password: str) -> str:
    from otpauth.web.admin.passwords import hash_password

    return hash_password(password)  # Argon2 is slow on purpose: once per test run


def add_staff(app, role: str = "admin", email: str | None = None, password: str = PASSWORD) -> int:
    """A set-up staff member (password set); returns the id."""
    with app.app_context():
        member = Staff(
            email=email or f"{role}@ops.example.com",
            name=f"{role.title()} Person",
            role=role,
            password_hash=_hash(password),
        )
        db.session.add(member)
        db.session.commit()
        return member.id


def sign_in(client, staff_id: int) -> str:
    """Give ``client`` a complete staff login (a live staff session) without typing it."""
    return plant_session(client, client.application, staff_id, kind="staff")


def token_on(client, path: str) -> str:
    """The CSRF token of the form on ``path``."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)
