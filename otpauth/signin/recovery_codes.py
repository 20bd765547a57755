"""Recovery codes: 10 per enrolment, shown once, stored as keyed hashes, each used once.

Using one is an UPDATE ... WHERE used_at IS NULL inside a transaction that also waits for
the Redis check (attempts, daily cap): two parallel uses give one success, and a check
Redis refuses (locked) is rolled back, so it never burns a code.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import update

from ..platform.extensions import db
from . import audit
from .models import RecoveryCode
from .otp import otp_store
from .otp.codes import decoy_hash, derive_key
from .otp.store import VerifyResult
from .otp.totp import new_recovery_code

RECOVERY_CODES = 10


def code_hash(kind: str, owner_id: int, code: str) -> str:
    """The keyed hash a recovery code is stored as (never the code)."""
    key = derive_key(current_app.config["SECRET_KEY"], "recovery-code")
    return hmac.new(key, f"{kind}:{owner_id}:{code}".encode(), hashlib.sha256).hexdigest()


def new_codes(kind: str, owner_id: int) -> tuple[list[str], list[RecoveryCode]]:
    """Fresh codes to show once, and the rows (hashes only) to store for them."""
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    rows = [
        RecoveryCode(owner_kind=kind, owner_id=owner_id, code_hash=code_hash(kind, owner_id, c))
        for c in codes
    ]
    return codes, rows


def use(
    tag: str,
    kind: str,
    owner_id: int | None,
    code: str,
    candidate: str,
    need_request: bool,
    enrolled: bool,
) -> VerifyResult:
    """Use a recovery code: marked used in SQL only if the Redis limits let the check count.

    The UPDATE's row lock makes two parallel uses of one code give one success; it is
    rolled back when Redis refuses (locked) so a refused check never burns a code.
    """
    owner = owner_id if enrolled and owner_id is not None else -1
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.owner_kind == kind,
            RecoveryCode.owner_id == owner,
            RecoveryCode.code_hash == code_hash(kind, owner, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    first = candidate if used.rowcount == 1 else decoy_hash()
    accepted = [(0, first), (0, decoy_hash()), (0, decoy_hash())]
    try:
        result, _ = otp_store().verify_totp(tag, candidate, accepted, need_request=need_request)
    except Exception:
        db.session.rollback()
        raise
    if result.status != "ok":
        db.session.rollback()
        return result
    db.session.commit()
    record_owner_event("recovery_code_used", kind, owner)
    return result


def record_owner_event(event: str, kind: str, owner_id: int) -> None:
    """Audit an event of a customer's or staff member's authenticator."""
    who = {"customer_id": owner_id} if kind == "customer" else {"staff_id": owner_id}
    audit.record(event, channel="app", **who)  # type: ignore[arg-type]
