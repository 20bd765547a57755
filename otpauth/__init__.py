"""otpauth: passwordless one-time-code sign-in for the customers of a waste-billing utility.

The package is built in layers. A module imports from its own layer or a lower one, never a
higher one; the two layers of rank 3 never import each other; no import sits inside a
function and no import cycle exists (``tests/test_structure.py`` checks all three):

1. ``platform/``  extensions, Redis and SQL clients, translations and times, per-IP limits
   and the client's address, telemetry (Prometheus counters, log helpers)
2. ``signin/``    channels and contacts, customers, codes, authenticators and recovery
   codes, sessions, the proof-of-work challenge, the audit trail, the SQL models
3. ``delivery/``  senders, messages, policy, gates, the inline pool, the queue and worker
3. ``oidc/``      the OpenID Provider: clients, keys, grants, claims, back-channel logout
4. ``web/``       the blueprints (sign-in, account, dashboard, console, OAuth), the Twilio
   hook, error pages, headers and the Origin check, health, the metrics view
5. ``cli/``       the ``flask`` commands
6. this module:   ``create_app``, which wires them together.

Beneath them all, outside the package: ``config.py`` (with ``settings_table.py`` and
``config_parsers.py``), the only reader of the environment.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

import config
from config import ConfigError

from . import cli, delivery, oidc
from .platform import autocommit, i18n, sqlite
from .platform import redis as redis_ext
from .platform.extensions import csrf, db, mail, migrate
from .signin import audit, challenge, channels, otp, passkeys, sessions
from .web import (
    account,
    admin,
    auth,
    dashboard,
    errors,
    headers,
    health,
    metrics_view,
    msg91_status,
    oauth,
    twilio_status,
    uploads,
)

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

    platform(app, overrides or {})
    services(app)
    web(app)
    cli.init_app(app)
    app.jinja_env.globals["SERVICE_NAME"] = app.config["SITE_NAME"]
    app.jinja_env.globals["CHANNELS"] = channels.CHANNELS
    return app


def platform(app: Flask, overrides: dict[str, Any]) -> None:
    """Translations, the databases, forms' CSRF and uploads, mail, Redis."""
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
    redis_ext.init_app(app, client=overrides.get("REDIS_CLIENT"))


def services(app: Flask) -> None:
    """Codes, sessions, the challenge, delivery (and its hook), the audit trail.

    Delivery before the audit: its after-request hand-over then runs after the audit's
    writer (Flask runs them in reverse).
    """
    otp.init_app(app)
    passkeys.init_app(app)
    sessions.init_app(app)
    challenge.init_app(app)
    delivery.init_app(app)
    twilio_status.init_app(app)
    msg91_status.init_app(app)
    audit.init_app(app)


def web(app: Flask) -> None:
    """Headers, the blueprints, the OpenID Provider, /metrics, the error pages."""
    headers.init_app(app)
    auth.init_app(app)
    admin.init_app(app)
    oidc.init_app(app)
    app.register_blueprint(oauth.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(health.bp)
    metrics_view.init_app(app)
    errors.init_app(app)
