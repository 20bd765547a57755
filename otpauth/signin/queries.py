"""The statements of a login, built once with bind parameters and reused.

SQLAlchemy caches the SQL it compiles, but building the statement object itself (the
``select``, ``where`` and ``values`` calls and their coercions) costs as much again, on
every request. The three statements of a login's request path are built here once per
shape and run with the request's values as parameters.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Select, bindparam, func, select, update

from .models import AuthEvent, Customer

SIGN_INS_SHOWN = 5  # the dashboard's recent sign-ins


@cache
def customer_by_contact(column: str) -> Select:
    """The id of the active customer whose ``column`` (``email``, ``phone``) is ``:contact``."""
    return select(Customer.id).where(
        getattr(Customer, column) == bindparam("contact"), Customer.active.is_(True)
    )


@cache
def stamp_login(verified_attr: str | None) -> Select:
    """Stamp ``:now`` as the login (and, once, as the contact's proof) on active ``:cid``.

    UPDATE ... RETURNING: one statement checks, stamps and loads the customer. The UPDATE
    is a plain table one and the ORM only reads its rows (``from_statement``): an
    ORM-enabled UPDATE went through the bulk-update machinery, a third dearer.
    """
    table, now = Customer.__table__, bindparam("now")
    values = {table.c.last_login_at: now}
    if verified_attr:
        verified = table.c[getattr(Customer, verified_attr).key]
        values[verified] = func.coalesce(verified, now)  # the first proof stays
    stamp = (
        update(table)
        .where(table.c.id == bindparam("cid"), table.c.active.is_(True))
        .values(values)
        .returning(*table.c)
    )
    return select(Customer).from_statement(stamp)


@cache
def customer_by_id() -> Select:
    """Customer ``:cid``: the user loader's one statement, on every signed-in page."""
    return select(Customer).where(Customer.id == bindparam("cid"))


@cache
def recent_sign_ins() -> Select:
    """Customer ``:cid``'s latest logins, by code or passkey (time, channel, address, event),
    newest first: the dashboard's one statement."""
    return (
        select(AuthEvent.at, AuthEvent.channel, AuthEvent.ip, AuthEvent.event)
        .where(
            AuthEvent.customer_id == bindparam("cid"),
            AuthEvent.event.in_(("login", "passkey_login")),
        )
        .order_by(AuthEvent.at.desc(), AuthEvent.id.desc())
        .limit(SIGN_INS_SHOWN)
    )
