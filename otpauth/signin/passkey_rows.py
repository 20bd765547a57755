"""Passkey rows: the list, one by id, rename, remove; the user handle and the offer's answer.

The ceremonies (options, registration, sign-in) are in ``signin.passkeys``.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select, update

from ..platform.extensions import db
from .models import Customer, Passkey, Staff

USER_HANDLE_BYTES = 64
NAME_LENGTH = 64
HAVE, NEVER = "have", "never"  # passkey_offer: has one; "Don't ask again" (None: ask)
OWNERS: dict[str, type[Customer] | type[Staff]] = {"customer": Customer, "staff": Staff}


def user_handle(user: Any) -> bytes:
    """The user's random WebAuthn handle (64 bytes: never the SQL id or a contact), made
    on first use."""
    if not user.webauthn_user_handle:
        save_user(user, webauthn_user_handle=secrets.token_bytes(USER_HANDLE_BYTES))
    return user.webauthn_user_handle


def save_user(user: Any, **values: Any) -> None:
    """Write columns of a customer or staff member, attached to the session or not (the
    signed-in user is loaded detached), and set them on the object too."""
    model = OWNERS[user.kind]
    db.session.execute(update(model).where(model.id == user.id).values(**values))
    db.session.commit()
    for name, value in values.items():
        setattr(user, name, value)


def owned(kind: str, owner: int) -> list[Passkey]:
    """The passkeys of one customer or staff member, oldest first."""
    query = select(Passkey).where(Passkey.owner_kind == kind, Passkey.owner_id == owner)
    return list(db.session.scalars(query.order_by(Passkey.id)))


def count(kind: str, owner: int) -> int:
    """How many passkeys the owner has."""
    query = select(func.count(Passkey.id)).where(
        Passkey.owner_kind == kind, Passkey.owner_id == owner
    )
    return db.session.scalar(query) or 0


def find(kind: str, owner: int, passkey_id: int) -> Passkey | None:
    """One of the owner's passkeys by its row id; None for anyone else's."""
    found = db.session.get(Passkey, passkey_id)
    return found if found and found.owner_kind == kind and found.owner_id == owner else None


def by_credential(credential_id: str) -> Passkey | None:
    """The passkey with this credential id (base64url), whoever's."""
    return db.session.scalars(select(Passkey).where(Passkey.credential_id == credential_id)).first()


def rename(passkey: Passkey, name: str) -> None:
    passkey.name = name.strip()[:NAME_LENGTH]
    db.session.commit()


def offer_state(user: Any) -> None:
    """Keep the offer's answer in step with the passkeys: ``have`` while there is one (no
    offer, and no statement on the dashboard to find out), back to asking after the last."""
    have = count(user.kind, user.id) > 0
    if have and user.passkey_offer is None:
        save_user(user, passkey_offer=HAVE)
    elif not have and user.passkey_offer == HAVE:
        save_user(user, passkey_offer=None)


def remove(passkey: Passkey) -> str:
    """Delete the passkey; answers its name (for the notice)."""
    name = passkey.name
    db.session.delete(passkey)
    db.session.commit()
    return name
