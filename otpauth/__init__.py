"""otpauth: passwordless one-time-code sign-in for the customers of a waste-billing utility."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

import config
from config import ConfigError

from . import delivery, oidc
from .cli import commands as cli
from .platform import autocommit, i18n, sqlite
from .platform import redis as redis_ext
from .platform.extensions import csrf, db, mail, migrate
from .signin import audit, challenge, channels, otp, sessions
from .web import account, admin, auth, dashboard, errors, health, uploads
from .web import headers as security
from .web import metrics_view as metrics
from .web import twilio_status as delivery_hooks
from .web.oauth import logout as oauth_logout  # noqa: F401 - registers /oauth/logout on the bp
from .web.oauth.views import bp as oauth_bp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, services, blueprints, error pages, commands."""
    app = Flask(
        __name__,
        template_folder=os.path.join(ROOT, "templates"),
        instance_path=os.path.join(ROOT, "instance"),
    )
    settings = config.load()
    settings.update(overrides or {})
    app.config.update(config.finalize(settings, app.instance_path))
    os.makedirs(app.instance_path, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for warning in config.start_warnings(app.config):
        logging.getLogger(__name__).warning(warning)

    i18n.init_app(app)
    try:
        db.init_app(app)
    except (ArgumentError, NoSuchModuleError) as exc:  # the URL itself, not a server outage
        raise ConfigError(
            f"DATABASE_URL is not a usable SQLAlchemy URL ({type(exc).__name__})"
        ) from None
    autocommit.init_app(app)
    sqlite.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"))
    uploads.init_app(app)  # before the CSRF check: it reads the form
    csrf.init_app(app)
    mail.init_app(app)
    redis_ext.init_app(app, client=(overrides or {}).get("REDIS_CLIENT"))
    otp.init_app(app)
    sessions.init_app(app)
    challenge.init_app(app)
    delivery.init_app(app)
    delivery_hooks.init_app(app)
    audit.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    admin.init_app(app)
    oidc.init_app(app)
    app.register_blueprint(oauth_bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(health.bp)
    metrics.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    app.jinja_env.globals["SERVICE_NAME"] = app.config["SITE_NAME"]
    app.jinja_env.globals["CHANNELS"] = channels.CHANNELS
    return app
