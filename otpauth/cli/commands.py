"""Ops commands: ``flask customers create|list|unlock``, ``flask audit tail``, ``flask totp``."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from config import CUSTOMER_TYPES

from ..platform.extensions import db
from ..platform.timefmt import labelled_time
from ..signin import authenticators, channels
from ..signin import customers as service
from ..signin.contacts import InvalidContact, normalize_email, normalize_phone
from ..signin.models import AuthEvent, Customer, Staff
from ..signin.otp import hasher, otp_store
from ..signin.otp.totp import InvalidToken
from .base import OpsGroup
from .customers import UTC_OPTION

customers = OpsGroup("customers", help="Create, list and unlock customers.")
audit_cli = OpsGroup("audit", help="Read the sign-in audit trail.")
totp_cli = OpsGroup("totp", help="Authenticator-app secrets.")


def _clean(value: str | None, normalize: Callable[[str], str], label: str) -> str | None:
    if value is None or value.strip() == "":
        return None
    try:
        return normalize(value)
    except InvalidContact as exc:
        raise click.BadParameter(str(exc), param_hint=label) from None


def _contacts(email: str | None, phone: str | None) -> tuple[str | None, str | None]:
    """The normalized --email and --phone; at least one is required."""
    region = current_app.config["PHONE_DEFAULT_REGION"]
    email = _clean(email, normalize_email, "--email")
    phone = _clean(phone, lambda raw: normalize_phone(raw, region), "--phone")
    if email is None and phone is None:
        raise click.UsageError("give --email, --phone or both")
    return email, phone


@customers.command("create")
@click.option("--name", required=True, help="The customer's name as billed.")
@click.option("--email", default=None, help="E-mail address (stored lower-cased).")
@click.option(
    "--phone", default=None, help="Phone number; without a country code, PHONE_DEFAULT_REGION."
)
@click.option(
    "--type",
    "customer_type",
    default="Household",
    show_default=True,
    type=click.Choice(CUSTOMER_TYPES, case_sensitive=False),
)
@click.option("--inactive", is_flag=True, help="Create the customer unable to sign in.")
@click.option("--exist-ok", is_flag=True, help="Succeed quietly if this e-mail or phone exists.")
def create_customer(
    name: str,
    email: str | None,
    phone: str | None,
    customer_type: str,
    inactive: bool,
    exist_ok: bool,
) -> None:
    """Create a customer who can sign in with a code."""
    region = current_app.config["PHONE_DEFAULT_REGION"]
    try:
        data = service.validate(name, email, phone, customer_type, region, not inactive)
        customer = service.create(data)
    except service.CustomerError as exc:
        if exc.clash_id is not None and exist_ok:
            click.echo(f"customer {exc.clash_id} already exists; nothing to do")
            return
        raise as_click_error(exc) from None
    except IntegrityError:
        db.session.rollback()
        raise click.ClickException("a customer with this e-mail or phone already exists") from None
    click.echo(
        f"created customer {customer.id}: {customer.name} <{data.email or '-'}> "
        f"{data.phone or '-'} ({data.customer_type})"
    )


def as_click_error(exc: service.CustomerError) -> click.ClickException:
    """The CLI's way of saying what the service refused."""
    if exc.field == "contact":
        return click.UsageError("give --email, --phone or both")
    if exc.clash_id is not None:
        return click.ClickException(exc.message)
    return click.BadParameter(exc.message, param_hint=f"--{exc.field}")


@customers.command("unlock")
@click.option("--email", default=None, help="Unlock sign-in by e-mail for this address.")
@click.option("--phone", default=None, help="Unlock sign-in by SMS for this number.")
def unlock(email: str | None, phone: str | None) -> None:
    """Lift the daily failure cap, send limits and cooldown of a contact, and kill its code."""
    for contact in filter(None, _contacts(email, phone)):
        # Every channel this contact signs in through: its own, and the authenticator app.
        for channel in channels.offered(current_app.config):
            if channel.contact_kind(contact).name != channels.detect(contact):
                continue
            removed = otp_store().unlock(hasher().tag(channel.name, contact))
            shown = channel.mask(contact)
            click.echo(f"unlocked {shown} ({channel.name}): {removed} key(s) cleared")


@customers.command("list")
@UTC_OPTION
def list_customers(utc: bool) -> None:
    """List every customer (times in DISPLAY_TIMEZONE, or --utc; each labelled)."""
    rows = db.session.scalars(select(Customer).order_by(Customer.id)).all()
    if not rows:
        click.echo("no customers yet")
    for c in rows:
        state = "active" if c.active else "inactive"
        last = labelled_time(c.last_login_at, utc=utc) if c.last_login_at else "never"
        click.echo(
            f"{c.id:>5}  {c.name:<28} {c.email or '-':<32} {c.phone or '-':<16} "
            f"{c.customer_type:<13} {state:<8} last login {last}"
        )


@audit_cli.command("tail")
@click.option(
    "--customer",
    "customer_id",
    type=click.IntRange(1, 2**31 - 1),  # an SQL integer: larger ids cannot exist
    default=None,
    help="Only this customer's events.",
)
@click.option("--email", default=None, help="Only events of this e-mail address (keyed hash).")
@click.option("--phone", default=None, help="Only events of this phone number (keyed hash).")
@click.option("--limit", type=click.IntRange(1, 10000), default=20, show_default=True)
@UTC_OPTION
def tail(
    customer_id: int | None, email: str | None, phone: str | None, limit: int, utc: bool
) -> None:
    """Print the latest sign-in events, oldest first, with the staff member who acted."""
    query = select(AuthEvent).order_by(AuthEvent.at.desc(), AuthEvent.id.desc()).limit(limit)
    if customer_id is not None:
        query = query.where(AuthEvent.customer_id == customer_id)
    if email or phone:
        email, phone = _contacts(email, phone)
        tags = [hasher().tag(ch, c) for ch, c in (("email", email), ("sms", phone)) if c]
        query = query.where(AuthEvent.contact_hash.in_(tags))
    events = list(reversed(db.session.scalars(query).all()))
    ids = {e.staff_id for e in events if e.staff_id}
    rows = db.session.execute(select(Staff.id, Staff.email).where(Staff.id.in_(ids)))
    names = {staff_id: email for staff_id, email in rows}
    for e in events:
        who = f"  staff={e.staff_id}:{names.get(e.staff_id, '?')}" if e.staff_id else ""
        click.echo(
            f"{labelled_time(e.at, utc=utc, seconds=True)}  {e.event:<17} "
            f"customer={e.customer_id or '-':<5} "
            f"channel={e.channel or '-':<5} contact={(e.contact_hash or '-')[:12]:<12} "
            f"ip={e.ip or '-'}{who}"
        )


@totp_cli.command("rotate-keys")
def rotate_keys() -> None:
    """Re-encrypt every authenticator secret with the first TOTP_ENCRYPTION_KEYS key."""
    try:
        count = authenticators.rotate_keys()
    except InvalidToken:
        db.session.rollback()
        raise click.ClickException(
            "a secret opens with none of TOTP_ENCRYPTION_KEYS; nothing was changed. "
            "List the old key again (after the new one) and retry."
        ) from None
    click.echo(f"re-encrypted {count} authenticator secret(s) with the first key")
