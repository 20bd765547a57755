"""Extension objects, created once and bound to an app with ``init_app``."""

from __future__ import annotations

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
# The storage is chosen in otpauth.platform.redis.init_limiter (the app's Redis, never
# process memory).
# Per-IP limits count networks, not address spellings (see otpauth.platform.client_ip).
limiter = Limiter(key_func=client_network)
