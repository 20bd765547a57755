"""Server-side login sessions: the store, Flask-Login's user loader, start and end.

The signed cookie (Flask's session) carries the sid under ``_sid``, beside Flask-Login's
``_user_id``; the record in Redis decides whether that login is still alive. A request
with a cookie but no live record is anonymous, and its cookie is emptied.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from ...platform import autocommit
from ...platform.extensions import db, login_manager
from ...platform.redis import get_redis
from .. import queries
from ..audit import printable
from ..models import Customer, Staff
from .store import Limits, SessionRecord, SessionStore

__all__ = [
    "SessionRecord",
    "SessionStore",
    "current_record",
    "customer_required",
    "end_session",
    "session_store",
    "start_session",
]

EXTENSION_KEY = "otpauth.sessions"
SID_KEY = "_sid"  # the cookie session's key holding the sid
OUTAGE = "otpauth_outage"  # g: Redis or the database failed in this request
MODELS: dict[str, Any] = {"customer": Customer, "staff": Staff}
F = TypeVar("F", bound=Callable[..., Any])


def session_store() -> SessionStore:
    """The current app's session store."""
    return current_app.extensions[EXTENSION_KEY]


def current_record() -> SessionRecord | None:
    """The record of this request's session (after the user was loaded), or None."""
    _ = current_user.is_authenticated  # loads the user, and with it the record
    return g.get("session_record")


def anonymous_for_this_request() -> None:
    """Redis or the database failed: the rest of this request (its error page) sees an
    anonymous visitor, without loading the user again or ending the session."""
    g.setdefault(OUTAGE, True)


@login_manager.user_loader
def load_user(user_id: str) -> Customer | Staff | None:
    """The user of the live session named in the cookie; None (anonymous) otherwise."""
    if g.get(OUTAGE):  # the outage's error page: anonymous, the session left as it is
        return None
    sid = session.get(SID_KEY)
    record = session_store().get(sid) if isinstance(sid, str) else None
    user = None
    if record is not None and str(record.user_id) == user_id:
        user = _load(record)
        if user is None or not user.active:  # deactivated (or removed): all end at once
            session_store().revoke_all(record.kind, record.user_id)
            user = None
    if user is None:
        session.pop(SID_KEY, None)
        session.pop("_user_id", None)
        return None
    g.session_record = record
    return user


def _load(record: SessionRecord) -> Customer | Staff | None:
    # The user only: each page loads its own data. A customer in one statement on the
    # autocommit engine (no BEGIN/ROLLBACK round trips): every signed-in page pays it.
    if record.kind == "customer":
        statement, params = queries.customer_by_id(), {"cid": record.user_id}
        return autocommit.run(lambda s: s.scalars(statement, params).first(), idempotent=True)
    return db.session.get(MODELS[record.kind], record.user_id)


def start_session(user: Customer | Staff, method: str | None = None) -> str:
    """Log ``user`` in with a new server-side session; return its sid.

    Nothing from the cookie session before the login survives it (no fixation), and a
    session the browser held before is ended on the server. ``method`` (how the user
    signed in: email, sms, app, ...) is kept in the record for OpenID Connect's ``amr``.
    """
    old = session.get(SID_KEY)
    session.clear()
    _fresh_csrf_token()
    if isinstance(old, str):
        _revoke_sid(old)
    sid = session_store().create(
        user.kind,
        user.id,
        ip=printable(request.remote_addr, 45),
        user_agent=printable(request.user_agent.string, 256),
        method=method,
    )
    login_user(user)
    session[SID_KEY] = sid
    session.permanent = True
    return sid


def _fresh_csrf_token() -> None:
    """A new CSRF token in the new cookie session, from the login on.

    The login's response writes the cookie anyway; without this the next page (the
    dashboard, with its sign-out button) would mint the token and write the cookie again.
    """
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    g.pop(name, None)  # Flask-WTF's copy of the old token, signed, for this request
    generate_csrf()


def end_session() -> None:
    """End this request's session on the server and log out."""
    sid = session.get(SID_KEY)
    # The cookie is emptied first: should Redis be down (503), the browser still forgets it.
    logout_user()
    session.clear()
    g.pop("session_record", None)
    if isinstance(sid, str):
        _revoke_sid(sid)


def _revoke_sid(sid: str) -> None:
    kind, _, rest = sid.partition(":")
    uid = rest.partition(":")[0]
    if kind in MODELS and uid.isascii() and uid.isdigit():
        session_store().revoke(kind, int(uid), sid)


def customer_required(view: F) -> F:
    """Like ``login_required``, but a staff login is refused like an anonymous visitor."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated or current_user.kind != "customer":
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def init_app(app: Flask) -> None:
    """Build the store from the session settings (needs otpauth.platform.redis first)."""
    c = app.config
    limits = {
        "customer": Limits(c["SESSION_IDLE_SECONDS"], c["SESSION_LIFETIME_SECONDS"]),
        "staff": Limits(c["ADMIN_SESSION_IDLE_SECONDS"], c["ADMIN_SESSION_LIFETIME_SECONDS"]),
    }
    with app.app_context():
        app.extensions[EXTENSION_KEY] = SessionStore(get_redis(), limits)
    # Flask's own signed cookie (issue 21): ~20 µs a request dearer than our cached serializer.
    app.session_interface = SecureCookieSessionInterface()
