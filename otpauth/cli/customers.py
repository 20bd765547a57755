"""``flask customers import|export|deactivate|reactivate|show``: the console's actions in text."""

from __future__ import annotations

import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from ..platform.extensions import db
from ..signin import customers as service
from ..signin.customer_csv import export_rows, import_customers
from ..signin.models import Customer
from ..signin.support_panel import support_panel

CUSTOMER_ID = click.IntRange(1, 2**31 - 1)


def _customer(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise click.ClickException(f"no customer with id {customer_id}")
    return customer


@click.command("import")
@with_appcontext
@click.argument("file", type=click.File("rb"))
@click.option("--all-or-nothing", is_flag=True, help="Import nothing if any row is rejected.")
def import_command(file, all_or_nothing: bool) -> None:  # noqa: ANN001
    """Import customers from a CSV file (name,email,phone,type[,active])."""
    try:
        text = file.read().decode("utf-8")
    except UnicodeDecodeError:
        raise click.ClickException("the file is not UTF-8 text") from None
    started = time.perf_counter()
    rows = max(text.count("\n") - 1, 1)
    with click.progressbar(length=rows, label="importing", file=sys.stderr) as bar:
        report = import_customers(
            text,
            current_app.config["PHONE_DEFAULT_REGION"],
            all_or_nothing=all_or_nothing,
            progress=bar.update,
        )
    for line in report.lines:
        click.echo(line)
    took = time.perf_counter() - started
    click.echo(f"{report.summary} in {took:.1f} s")
    if report.error or (all_or_nothing and report.rejected):
        raise SystemExit(1)


@click.command("export")
@with_appcontext
@click.argument("file", type=click.File("w", encoding="utf-8"), default="-")
def export_command(file) -> None:  # noqa: ANN001
    """Write every customer as CSV to FILE (default: standard output)."""
    query = select(Customer).order_by(Customer.id).execution_options(yield_per=1000)
    for chunk in export_rows(db.session.scalars(query)):
        file.write(chunk)


@click.command("deactivate")
@with_appcontext
@click.argument("customer_id", type=CUSTOMER_ID)
def deactivate_command(customer_id: int) -> None:
    """Stop a customer signing in and end their sessions."""
    ended = service.deactivate(_customer(customer_id))
    click.echo(f"customer {customer_id} deactivated; {ended} session(s) ended")


@click.command("reactivate")
@with_appcontext
@click.argument("customer_id", type=CUSTOMER_ID)
def reactivate_command(customer_id: int) -> None:
    """Let a deactivated customer sign in again."""
    service.reactivate(_customer(customer_id))
    click.echo(f"customer {customer_id} reactivated")


@click.command("show")
@with_appcontext
@click.argument("customer_id", type=CUSTOMER_ID)
def show_command(customer_id: int) -> None:
    """The support panel in text: contacts and their live state, sessions, latest events."""
    for line in support_panel(_customer(customer_id)).text_lines():
        click.echo(line)


def register(group: AppGroup) -> None:
    """Add these commands to the ``customers`` group."""
    for command in (
        import_command,
        export_command,
        deactivate_command,
        reactivate_command,
        show_command,
    ):
        group.add_command(command)
