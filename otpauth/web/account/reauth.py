"""Re-authentication: how recent this session's sign-in is, and the page asking for one.

A sign-in again (a code to a contact on file, or a passkey) starts a new session, so the
session record's start is the time of the last authentication (OpenID Connect's
``auth_time`` reads the same value).
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, render_template, request
from flask_login import current_user

from ...signin import channels
from ...signin.sessions import current_record


def recent_sign_in() -> bool:
    """Whether this session began within the last ``REAUTH_SECONDS``."""
    record = current_record()
    window = current_app.config["REAUTH_SECONDS"]
    return record is not None and time.time() - record.created_at <= window


def ask_for_sign_in(back_to: str | None = None) -> Any:
    """The page that asks for a fresh sign-in before the change (403; nothing changed)."""
    contacts = [
        (channel.name, contact, channel.mask(contact))
        for channel in channels.sending()
        if (contact := current_user.contact(channel.name))
    ]
    page = render_template(
        "account/reauth.html",
        back_to=back_to or request.path,
        reauth_contacts=contacts,
        show_sign_out=True,
    )
    return page, 200 if request.method == "GET" else 403
