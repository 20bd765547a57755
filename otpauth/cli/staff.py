"""``flask staff create|list|deactivate``: the ops team's own accounts."""

from __future__ import annotations

import click
from sqlalchemy import select

from config import STAFF_ROLES

from ..platform.extensions import db
from ..platform.timefmt import labelled_time
from ..signin.models import Staff
from ..web.admin import accounts
from .base import OpsGroup
from .customers import UTC_OPTION

staff_cli = OpsGroup("staff", help="Create, list and deactivate ops console accounts.")


@staff_cli.command("create")
@click.option("--email", required=True, help="The member's work e-mail address.")
@click.option("--name", required=True, help="Their name as shown in the console.")
@click.option("--role", required=True, type=click.Choice(STAFF_ROLES))
def create_staff(email: str, name: str, role: str) -> None:
    """Create a staff member and print their one-time setup link (valid 24 h)."""
    try:
        staff, token = accounts.create(email, name, role)
    except accounts.StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created staff {staff.id}: {staff.name} <{staff.email}> ({staff.role})")
    click.echo("one-time setup link, valid 24 hours; give it to them privately:")
    click.echo(accounts.setup_link(token))


@staff_cli.command("list")
@UTC_OPTION
def list_staff(utc: bool) -> None:
    """List every staff member (times in DISPLAY_TIMEZONE, or --utc; each labelled)."""
    rows = db.session.scalars(select(Staff).order_by(Staff.id)).all()
    if not rows:
        click.echo("no staff yet")
    for s in rows:
        state = "active" if s.active else "inactive"
        if s.active and s.password_hash is None:
            state = "setup pending"
        click.echo(
            f"{s.id:>4}  {s.name:<28} {s.email:<32} {s.role:<8} {state:<13} "
            f"last login {labelled_time(s.last_login_at, utc=utc) if s.last_login_at else 'never'}"
        )


@staff_cli.command("deactivate")
@click.argument("staff_id", type=click.IntRange(1, 2**31 - 1))
def deactivate_staff(staff_id: int) -> None:
    """Stop a staff member signing in and end their sessions."""
    staff = db.session.get(Staff, staff_id)
    if staff is None:
        raise click.ClickException(f"no staff member with id {staff_id}")
    ended = accounts.deactivate(staff)
    click.echo(f"staff {staff_id} deactivated; {ended} session(s) ended")
