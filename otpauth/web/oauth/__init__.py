"""The OpenID Provider's pages and endpoints (``/.well-known``, ``/oauth/...``)."""

from __future__ import annotations

from . import logout, views
from .views import bp

__all__ = ["bp", "logout", "views"]
