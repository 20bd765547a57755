"""The customer's own account pages under ``/account/``: sessions (and authenticator apps)."""

from __future__ import annotations

from . import authenticator_views, sessions_views
from .blueprint import bp

__all__ = ["authenticator_views", "bp", "sessions_views"]
