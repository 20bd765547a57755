"""The customer's own account pages under ``/account/``: sessions, authenticator apps,
passkeys and contacts."""

from __future__ import annotations

from . import authenticator_views, contacts_views, passkeys_views, sessions_views
from .blueprint import bp

__all__ = ["authenticator_views", "bp", "contacts_views", "passkeys_views", "sessions_views"]
