"""The authenticators service as issue 11's staff login uses it: time injected, no pages."""

from __future__ import annotations

import uuid

import pytest

from tests.totp_support import authenticators_flush, hotp, no_authenticators  # noqa: F401

AT = 1_900_000_020.0  # a fixed time: step 63_333_334
STEP = int(AT) // 30


@pytest.fixture
def staff_id(app):
    from otpauth.platform.extensions import db
    from otpauth.signin.models import AuthEvent, Staff

    with app.app_context():
        member = Staff(email=f"{uuid.uuid4().hex[:8]}@ops.example", name="Op", role="support")
        db.session.add(member)
        db.session.commit()
        member_id = member.id
    yield member_id
    with app.app_context():
        db.session.query(AuthEvent).filter_by(staff_id=member_id).delete()
        db.session.query(Staff).filter_by(id=member_id).delete()
        db.session.commit()


@pytest.fixture
def enrolled(app, staff_id):
    from otpauth.signin import authenticators
    from otpauth.signin.otp.totp import new_secret

    secret = new_secret()
    with app.test_request_context():
        wrong = "000000" if hotp(secret, STEP) != "000000" else "111111"
        assert authenticators.confirm_enrolment("staff", staff_id, secret, wrong, now=AT) is None
        codes = authenticators.confirm_enrolment(
            "staff", staff_id, secret, hotp(secret, STEP), now=AT
        )
        authenticators_flush()
    assert codes is not None and len(set(codes)) == 10
    return secret, codes


def test_enrolment_stores_only_encrypted_secret_and_hashed_codes(app, staff_id, enrolled):
    from otpauth.platform.extensions import db
    from otpauth.signin import authenticators
    from otpauth.signin.models import RecoveryCode

    secret, codes = enrolled
    with app.app_context():
        found = authenticators.get("staff", staff_id)
        assert found is not None and secret not in found.secret_encrypted
        hashes = {r.code_hash for r in db.session.query(RecoveryCode).filter_by(owner_id=staff_id)}
        assert len(hashes) == 10 and not hashes & set(codes)
        assert authenticators.get("customer", staff_id) is None  # kinds do not mix


def test_codes_drift_and_replay(app, staff_id, enrolled):
    from otpauth.signin import authenticators

    secret, _ = enrolled
    later = AT + 300  # ten steps on
    with app.test_request_context():
        verify = authenticators.verify
        assert not verify("staff", staff_id, hotp(secret, STEP), now=AT)  # the confirming code
        assert not verify("staff", staff_id, hotp(secret, STEP + 8), now=later)  # two back
        assert not verify("staff", staff_id, hotp(secret, STEP + 12), now=later)  # two ahead
        assert verify("staff", staff_id, hotp(secret, STEP + 9), now=later)  # one back
        assert not verify("staff", staff_id, hotp(secret, STEP + 9), now=later)  # replay
        assert verify("staff", staff_id, hotp(secret, STEP + 11), now=later)  # one ahead
        assert not verify("staff", staff_id, hotp(secret, STEP + 10), now=later)  # older


def test_recovery_codes_are_single_use_and_removal(app, staff_id, enrolled):
    from otpauth.signin import audit, authenticators

    _, codes = enrolled
    with app.test_request_context():
        assert authenticators.verify("staff", staff_id, codes[0].upper(), now=AT)
        assert not authenticators.verify("staff", staff_id, codes[0], now=AT)
        assert not authenticators.verify("staff", staff_id, "zzzz-zzzz", now=AT)
        assert authenticators.remove("staff", staff_id)
        assert not authenticators.remove("staff", staff_id)
        assert authenticators.get("staff", staff_id) is None
        assert not authenticators.verify("staff", staff_id, codes[1], now=AT)
        authenticators_flush()
    with app.app_context():
        kinds = [e.event for e in audit.recent(limit=10) if e.staff_id == staff_id]
        assert sorted(kinds) == [
            "authenticator_added",
            "authenticator_removed",
            "recovery_code_used",
        ]


@pytest.mark.parametrize("settings", [{"OTP_MAX_FAILURES_PER_DAY": 3}])
def test_a_locked_owner_burns_no_recovery_code(app, staff_id, enrolled, settings):
    from otpauth.signin import authenticators

    secret, codes = enrolled  # enrolment already spent one wrong guess
    with app.test_request_context():
        for _ in range(2):
            assert not authenticators.verify("staff", staff_id, "zzzz-zzzz", now=AT)
        assert not authenticators.verify("staff", staff_id, codes[0], now=AT)  # locked
        assert not authenticators.verify("staff", staff_id, hotp(secret, STEP + 1), now=AT)
        app.extensions["otpauth.otp_store"].unlock(authenticators.owner_tag("staff", staff_id))
        assert authenticators.verify("staff", staff_id, codes[0], now=AT)  # still unused
