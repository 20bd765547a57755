"""``flask customers deactivate|reactivate ID``: deactivation ends every session at once."""

from __future__ import annotations

import click

from .. import audit
from ..cli import customers
from ..extensions import db
from ..models import Customer
from . import session_store


def _customer(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise click.ClickException(f"no customer with id {customer_id}")
    return customer


@customers.command("deactivate")
@click.argument("customer_id", type=click.IntRange(1, 2**31 - 1))
def deactivate(customer_id: int) -> None:
    """Stop a customer signing in, and end every session they have now."""
    customer = _customer(customer_id)
    customer.active = False
    db.session.commit()
    ended = session_store().revoke_all(customer.kind, customer.id)
    audit.record("customer_deactivated", customer_id=customer.id)
    click.echo(f"deactivated customer {customer.id}; {ended} session(s) ended")


@customers.command("reactivate")
@click.argument("customer_id", type=click.IntRange(1, 2**31 - 1))
def reactivate(customer_id: int) -> None:
    """Let a deactivated customer sign in again."""
    customer = _customer(customer_id)
    customer.active = True
    db.session.commit()
    audit.record("customer_reactivated", customer_id=customer.id)
    click.echo(f"reactivated customer {customer.id}")
