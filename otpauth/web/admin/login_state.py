"""Where the console's sign-in stands: the password step, the code step, the staff session."""

from __future__ import annotations

import time

from flask import session
from flask_login import current_user

from ...platform.extensions import db
from ...signin.models import Staff
from ...signin.sessions import end_session, start_session

PENDING = "admin_login"  # session key: staff id and time of a right password
PENDING_SECONDS = 300  # the code must follow the password within this


def current_staff() -> Staff | None:
    """The signed-in staff member (password and code, live server-side session), or None."""
    user = current_user._get_current_object()
    return user if isinstance(user, Staff) and user.active else None


def remember_password_step(staff: Staff) -> None:
    """The password was right: the code step may follow for a few minutes."""
    session[PENDING] = {"id": staff.id, "at": int(time.time())}


def password_step() -> Staff | None:
    """The active staff member whose password was right moments ago, or None."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    staff = db.session.get(Staff, pending.get("id"))
    return staff if staff is not None and staff.active else None


def begin(staff: Staff, method: str = "app") -> None:
    """Both steps passed: a staff session (server-side, ADMIN_SESSION_* limits); ``method``
    is the second step's (``app`` or ``passkey``)."""
    start_session(staff, method=method)  # clears the cookie session, the pending step with it


def end() -> None:
    """End the staff session."""
    end_session()
