"""Staff sign-in lockout: 10 wrong passwords or codes for one e-mail within an hour lock it
for the rest of that hour. The only module that knows these Redis keys.

Keys: ``staff:{s:<tag>}:fails`` counter [an hour from the first failure], where ``tag`` is the
keyed hash of the e-mail in the form sign-in matches on (``accounts.login_email``), so every
spelling of one address (case, full-width letters, ``。``) shares one counter, and an unknown
e-mail is counted (and answered) the same way. Text that is no address is counted as typed
(stripped, lower-cased): it matches no account.
"""

from __future__ import annotations

from flask import Flask, current_app

from ...platform.redis import get_redis
from ...signin.otp import hasher
from .accounts import login_email

EXTENSION_KEY = "otpauth.staff_lockout"
MAX_FAILURES = 10
WINDOW_SECONDS = 3600


class StaffLockout:
    """Counts failed staff sign-in steps per e-mail address (as sign-in matches it)."""

    def __init__(self, client, max_failures: int = MAX_FAILURES, window: int = WINDOW_SECONDS):  # noqa: ANN001
        self.redis = client
        self.max_failures = max_failures
        self.window = window

    @staticmethod
    def key(email: str) -> str:
        typed = email or ""
        tag = hasher().tag("staff", login_email(typed) or typed.strip().lower())
        return f"staff:{{s:{tag}}}:fails"

    def locked_for(self, email: str) -> int:
        """Seconds the e-mail stays locked (0: not locked)."""
        pipe = self.redis.pipeline(transaction=False)
        key = self.key(email)
        pipe.get(key)
        pipe.ttl(key)
        count, ttl = pipe.execute()
        return max(int(ttl), 1) if int(count or 0) >= self.max_failures else 0

    def fail(self, email: str) -> None:
        """Count one wrong password or code."""
        key = self.key(email)
        pipe = self.redis.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, self.window, nx=True)
        pipe.execute()

    def clear(self, email: str) -> None:
        """A complete sign-in: forget earlier failures."""
        self.redis.delete(self.key(email))


def init_app(app: Flask) -> None:
    """Build the lockout on the app's Redis."""
    with app.app_context():
        app.extensions[EXTENSION_KEY] = StaffLockout(get_redis())


def staff_lockout() -> StaffLockout:
    """The current app's staff lockout."""
    return current_app.extensions[EXTENSION_KEY]
