"""Layer 5, the commands: ``flask customers|staff|audit|totp|oidc|db …``, registered here."""

from __future__ import annotations

from flask import Flask

from . import backup, customers
from .commands import audit_cli, totp_cli
from .commands import customers as customers_cli
from .oidc import oidc_cli
from .sms import sms_cli
from .staff import staff_cli


def init_app(app: Flask) -> None:
    """Register the command groups."""
    backup.init_app(app)
    customers.register(customers_cli)
    for group in (customers_cli, audit_cli, totp_cli, staff_cli, oidc_cli, sms_cli):
        app.cli.add_command(group)
