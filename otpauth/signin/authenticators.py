"""Authenticator apps of customers and staff: enrolment, checking a code, removal.

A check is one atomic Redis script (``OtpStore.verify_totp``): attempts, the daily cap
and the last accepted time step are checked and updated together, so a code works once
even when ten requests carry it at the same moment. The accepted step is also written to
SQL (``last_used_at``, conditionally), so a code used through one contact cannot be
replayed through the owner's other contact either. Owners without an authenticator and
strangers walk the same path, with the same work (see ``check``), and decoy hashes no code
matches.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import Row, delete, or_, select, update

from ..platform.extensions import db
from . import recovery_codes
from .models import Authenticator, RecoveryCode
from .otp import hasher, otp_store
from .otp.codes import decoy_hash
from .otp.store import VerifyResult
from .otp.totp import (
    INTERVAL,
    InvalidToken,
    canonical_code,
    is_recovery,
    new_secret,
    secret_box,
    window,
)

log = logging.getLogger(__name__)
DECOY_KEY = "otpauth.totp_decoy"


def owner_tag(kind: str, owner_id: int) -> str:
    """The Redis tag of an owner's checks outside sign-in (enrolment, removal, staff)."""
    return hasher().tag("owner", f"{kind}:{owner_id}")


def get(kind: str, owner_id: int) -> Authenticator | None:
    """The owner's confirmed authenticator, if any."""
    return db.session.scalar(
        select(Authenticator).where(
            Authenticator.owner_kind == kind,
            Authenticator.owner_id == owner_id,
            Authenticator.confirmed_at.is_not(None),
        )
    )


def _when(step: int) -> datetime:
    return datetime.fromtimestamp(step * INTERVAL, UTC)


def _accepted(tag: str, secret: str, now: float, *, real: bool) -> list[tuple[int, str]]:
    """(step, code hash) for the accepted steps; decoys no code matches unless ``real``.

    The codes and their hashes are computed either way, so a decoy costs what a secret
    does; only then are the hashes swapped for values no code hashes to.
    """
    hashed = [(step, hasher().code(tag, code)) for step, code in window(secret, now)]
    decoys = [(step, decoy_hash()) for step, _ in hashed]
    return hashed if real else decoys


def _lookup(kind: str, owner_id: int | None) -> Row[tuple[int, str]] | None:
    """(id, encrypted secret) of the owner's confirmed authenticator.

    The same statement for everyone: nobody (None) is looked up as owner -1, which no row
    has, so a stranger's check runs the query a customer's does (issue 19, finding 1).
    """
    statement = select(Authenticator.id, Authenticator.secret_encrypted).where(
        Authenticator.owner_kind == kind,
        Authenticator.owner_id == (-1 if owner_id is None else owner_id),
        Authenticator.confirmed_at.is_not(None),
    )
    return db.session.execute(statement).first()


def _decoy_token() -> str:
    """A secret of nobody's, encrypted once per process with the same box as real ones."""
    token = current_app.extensions.get(DECOY_KEY)
    if token is None:
        token = current_app.extensions[DECOY_KEY] = secret_box().encrypt(new_secret())
    return token


def check(
    tag: str, kind: str, owner_id: int | None, code: str, *, need_request: bool, now: float
) -> VerifyResult:
    """Check an app code or recovery code of an owner (None: nobody; nothing matches).

    Customers, customers without an app and strangers do the same work: one SELECT, one
    decryption (a decoy token for want of a secret), three TOTP codes and their HMACs, the
    same Redis script; only the hashes it is given differ.
    """
    found = _lookup(kind, owner_id)
    candidate = hasher().code(tag, code)
    if is_recovery(code):
        return recovery_codes.use(
            tag, kind, owner_id, code, candidate, need_request, found is not None
        )
    secret = _open(found.id if found else None, found.secret_encrypted if found else None)
    accepted = _accepted(tag, secret or new_secret(), now, real=secret is not None)
    result, step = otp_store().verify_totp(tag, candidate, accepted, need_request=need_request)
    if result.status == "ok" and found is not None and not _claim_step(found.id, step):
        # Accepted in Redis under this tag, but the step was used through another one.
        return VerifyResult("invalid", 0, result.customer_id)
    return result


def _open(found_id: int | None, token: str | None) -> str | None:
    """The decrypted secret; None (no code matches) without one, or when no key opens it.

    Without one (``found_id`` None) the decoy token is decrypted instead: the same work.
    """
    try:
        secret = secret_box().decrypt(token if token is not None else _decoy_token())
    except InvalidToken:
        log.error(
            "totp: authenticator %d opens with none of TOTP_ENCRYPTION_KEYS; list the old key "
            "again and run `flask --app wsgi totp rotate-keys`",
            found_id or 0,
        )
        return None
    return secret if found_id is not None else None


def _claim_step(found_id: int, step: int) -> bool:
    """Record ``step`` as the last used one, unless it (or a later one) was used already."""
    when = _when(step)
    claimed = db.session.execute(
        update(Authenticator)
        .where(
            Authenticator.id == found_id,
            or_(Authenticator.last_used_at.is_(None), Authenticator.last_used_at < when),
        )
        .values(last_used_at=when)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return claimed.rowcount == 1


def confirm_enrolment(
    kind: str, owner_id: int, secret: str, code: str, *, now: float | None = None
) -> list[str] | None:
    """Activate ``secret`` if ``code`` is right for it; the recovery codes, or None."""
    code = canonical_code(code) or ""
    if not code or is_recovery(code):
        code = "-"  # still counted as a wrong guess below
    now = current_time(now)
    tag = owner_tag(kind, owner_id)
    accepted = _accepted(tag, secret, now, real=True)
    result, step = otp_store().verify_totp(
        tag, hasher().code(tag, code), accepted, need_request=False
    )
    if result.status != "ok":
        return None
    if get(kind, owner_id) is not None:
        raise ValueError("the owner has an authenticator already; remove it first")
    _delete(kind, owner_id)  # an unconfirmed leftover
    codes, rows = recovery_codes.new_codes(kind, owner_id)
    db.session.add(
        Authenticator(
            owner_kind=kind,
            owner_id=owner_id,
            secret_encrypted=secret_box().encrypt(secret),
            confirmed_at=datetime.now(UTC),
            last_used_at=_when(step),  # the confirming code cannot sign in afterwards
        )
    )
    db.session.add_all(rows)
    db.session.commit()
    recovery_codes.record_owner_event("authenticator_added", kind, owner_id)
    return codes


def verify(kind: str, owner_id: int, code: str, *, now: float | None = None) -> bool:
    """Whether ``code`` (app code or unused recovery code) is right; counted, once only."""
    code = canonical_code(code) or "-"
    tag = owner_tag(kind, owner_id)
    result = check(tag, kind, owner_id, code, need_request=False, now=current_time(now))
    return result.status == "ok"


def remove(kind: str, owner_id: int) -> bool:
    """Remove the owner's authenticator and recovery codes; whether there was one."""
    removed = get(kind, owner_id) is not None
    _delete(kind, owner_id)
    db.session.commit()
    if removed:
        recovery_codes.record_owner_event("authenticator_removed", kind, owner_id)
    return removed


def rotate_keys() -> int:
    """Re-encrypt every secret under the first TOTP_ENCRYPTION_KEYS key; how many."""
    box = secret_box()
    rows = db.session.scalars(select(Authenticator)).all()
    for row in rows:
        row.secret_encrypted = box.rotate(row.secret_encrypted)
    db.session.commit()
    return len(rows)


def current_time(now: float | None) -> float:
    """``now``, or the clock (tests inject the time instead of sleeping)."""
    return time.time() if now is None else now


def _delete(kind: str, owner_id: int) -> None:
    db.session.execute(
        delete(Authenticator).where(
            Authenticator.owner_kind == kind, Authenticator.owner_id == owner_id
        )
    )
    db.session.execute(
        delete(RecoveryCode).where(
            RecoveryCode.owner_kind == kind, RecoveryCode.owner_id == owner_id
        )
    )
