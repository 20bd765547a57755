"""Extension objects, created once and bound to an app with ``init_app``."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from .client_ip import client_network


class Base(DeclarativeBase):
    """Declarative base for the typed models."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
# Flask-Limiter settings under which its before-request pass has limits to check.
APP_WIDE_LIMITS = (
    "RATELIMIT_DEFAULT",
    "RATELIMIT_APPLICATION",
    "RATELIMIT_META",
    "RATELIMIT_IN_MEMORY_FALLBACK",
)
APP_WIDE = "otpauth.app_wide_limits"  # app.extensions: whether one of them is set


class AppLimiter(Limiter):
    """Flask-Limiter, without its before-request pass while no app-wide limit is set.

    Flask-Limiter looks at every request before its view for default, application, meta
    and fallback limits. This app's per-IP limits sit on its views (``auth.views._limit``),
    which their decorators check; so unless ops set one of ``APP_WIDE_LIMITS`` that pass
    finds nothing, at ~2 % of a login's CPU (it works out exemptions and meta limits for
    all five requests). With one set, every request is checked as Flask-Limiter does.
    Which is the case is decided once per app, when Flask-Limiter reads its settings too.
    """

    def init_app(self, app: Flask) -> None:
        app.extensions[APP_WIDE] = any(app.config.get(k) for k in APP_WIDE_LIMITS)
        super().init_app(app)

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> Any:
        if in_middleware and not current_app.extensions[APP_WIDE]:
            return None
        return super()._check_request_limit(callable_name, in_middleware)


# The storage is chosen in otpauth.redis.init_limiter (the app's Redis, never process memory).
# Per-IP limits count networks, not address spellings (see otpauth.client_ip).
limiter = AppLimiter(key_func=client_network)
