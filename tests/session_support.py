"""Helpers for tests that need a live server-side session without going through a login."""

from __future__ import annotations


def plant_session(client, app, user_id: int, kind: str = "customer") -> str:  # noqa: ANN001
    """Create a session record in the app's store and give ``client`` its cookie."""
    with app.app_context():
        sid = app.extensions["otpauth.sessions"].create(kind, user_id, ip=None, user_agent=None)
    with client.session_transaction() as session:
        session.update({"_user_id": str(user_id), "_fresh": True, "_sid": sid})
    return sid
