"""``flask customers import|export|deactivate|reactivate|show``: the console's actions in text."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from ..platform.extensions import db
from ..signin import customers as service
from ..signin.audit import printable
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
    """Write every customer as CSV to FILE (default: standard output); say how many, where."""
    query = select(Customer).order_by(Customer.id).execution_options(yield_per=1000)
    written = 0

    def counted(rows: Iterable[Customer]) -> Iterator[Customer]:
        nonlocal written
        for row in rows:
            written += 1
            yield row

    for chunk in export_rows(counted(db.session.scalars(query))):
        file.write(chunk)
    where = "standard output" if file.name == "<stdout>" else file.name
    click.echo(f"{written} customer(s) written to {where}", err=True)  # stdout may be the CSV


@click.command("deactivate")
@with_appcontext
@click.argument("customer_id", type=CUSTOMER_ID)
@click.option("--reason", default=None, help="Why (kept in the audit event, 200 characters).")
def deactivate_command(customer_id: int, reason: str | None) -> None:
    """Stop a customer signing in and end their sessions."""
    ended = service.deactivate(_customer(customer_id), reason=printable(reason, 200))
    click.echo(f"customer {customer_id} deactivated; {ended} session(s) ended")


@click.command("reactivate")
@with_appcontext
@click.argument("customer_id", type=CUSTOMER_ID)
def reactivate_command(customer_id: int) -> None:
    """Let a deactivated customer sign in again."""
    service.reactivate(_customer(customer_id))
    click.echo(f"customer {customer_id} reactivated")


UTC_OPTION = click.option(
    "--utc", is_flag=True, help="Times in UTC instead of DISPLAY_TIMEZONE (each is labelled)."
)


@click.command("show")
@with_appcontext
@click.argument("customer_id", type=CUSTOMER_ID)
@UTC_OPTION
def show_command(customer_id: int, utc: bool) -> None:
    """The support panel in text: contacts and their live state, sessions, latest events."""
    for line in support_panel(_customer(customer_id)).text_lines(utc):
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
