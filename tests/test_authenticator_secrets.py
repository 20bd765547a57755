"""Authenticator secrets at rest: never readable in SQL or Redis, and key rotation."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from tests.security_support import EMAIL
from tests.totp_support import enrol, hotp, no_authenticators, step_now  # noqa: F401

KEY_ONE, KEY_TWO = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def encodings(secret: str) -> set[bytes]:
    """The secret in every form it could leak in: Base32 either case, raw, hex, Base64."""
    raw = base64.b32decode(secret)
    forms = {secret, secret.lower(), raw.hex(), raw.hex().upper()}
    forms |= {base64.b64encode(raw).decode().rstrip("="), base64.urlsafe_b64encode(raw).decode()}
    return {f.encode() for f in forms} | {raw}


def database_bytes(app, database_url: str) -> bytes:
    """Everything the database holds: the SQLite file, or a pg_dump (else every column)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        # The write-ahead log holds the latest writes until a checkpoint: it is data too.
        files = [url.database or "", f"{url.database}-wal"]
        return b"".join(Path(f).read_bytes() for f in files if os.path.exists(f))
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        dump = subprocess.run(["pg_dump", "--data-only", plain], capture_output=True, check=True)
        return dump.stdout
    except (OSError, subprocess.CalledProcessError):
        from otpauth.platform.extensions import db

        with app.app_context():
            rows = []
            for table in ("authenticators", "recovery_codes", "auth_events", "customers"):
                rows += [repr(tuple(r)) for r in db.session.execute(text(f"SELECT * FROM {table}"))]
        return "\n".join(rows).encode()


def redis_bytes(redis_client) -> bytes:
    out = []
    for key in redis_client.scan_iter("*"):
        out.append(key)
        kind = redis_client.type(key)
        if kind == b"hash":
            for k, v in redis_client.hgetall(key).items():
                out += [k, v]
        elif kind == b"string":
            out.append(redis_client.get(key))
    return b"\n".join(out)


def test_secret_never_appears_in_the_database_or_redis(
    app, auth, customer, database_url, redis_client, caplog
):
    secret, codes = enrol(app, customer)
    auth.request(EMAIL, "app")
    assert auth.verify(hotp(secret, step_now())).status_code == 302
    with app.app_context():
        from otpauth.platform.extensions import db

        db.session.execute(text("SELECT 1"))  # make sure everything is written
        db.session.commit()
    in_database = database_bytes(app, database_url)
    assert _token(app, customer).encode() in in_database  # the dump really holds the row
    stored = in_database + redis_bytes(redis_client)
    stored += caplog.text.encode()
    for form in encodings(secret):
        assert form not in stored, form
    for code in codes:  # recovery codes are stored hashed only
        assert code.encode() not in stored


def _app_with_keys(app, database_url, redis_client, *keys: str):
    from otpauth import create_app

    return create_app(
        {
            "DATABASE_URL": database_url,
            "REDIS_CLIENT": redis_client,
            "RATELIMIT_ENABLED": False,
            "TOTP_ENCRYPTION_KEYS": keys,
            "SECRET_KEY": app.config["SECRET_KEY"],
        }
    )


def _dispose(*apps) -> None:
    from otpauth.platform.extensions import db

    for other in apps:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def _token(app, customer: int) -> str:
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Authenticator

    with app.app_context():
        return db.session.scalar(
            select(Authenticator.secret_encrypted).where(Authenticator.owner_id == customer)
        )


@pytest.mark.parametrize("settings", [{"TOTP_ENCRYPTION_KEYS": (KEY_ONE,)}])
def test_rotation_re_encrypts_and_old_keys_decrypt_until_removed(
    app, customer, database_url, redis_client, settings
):
    from otpauth.signin import authenticators

    secret, _ = enrol(app, customer)
    before = _token(app, customer)
    both = _app_with_keys(app, database_url, redis_client, KEY_TWO, KEY_ONE)
    new_only = _app_with_keys(app, database_url, redis_client, KEY_TWO)
    try:
        with both.test_request_context():  # the old key still opens the old token
            assert authenticators.verify("customer", customer, hotp(secret, step_now()))
        result = both.test_cli_runner().invoke(args=["totp", "rotate-keys"])
        assert result.exit_code == 0 and "re-encrypted 1 authenticator secret" in result.output
        after = _token(app, customer)
        assert after != before
        assert Fernet(KEY_TWO.encode()).decrypt(after.encode()).decode() == secret
        with new_only.test_request_context():  # the old key is gone: the new one suffices
            assert authenticators.verify("customer", customer, hotp(secret, step_now() + 1))
        # An app with only the old key cannot open the rotated token: rotation refuses.
        result = app.test_cli_runner().invoke(args=["totp", "rotate-keys"])
        assert result.exit_code == 1 and "nothing was changed" in result.output
        assert _token(app, customer) == after
    finally:
        _dispose(both, new_only)


@pytest.mark.parametrize("settings", [{"TOTP_ENCRYPTION_KEYS": (KEY_ONE,)}])
def test_a_secret_no_key_opens_is_a_wrong_code_and_one_log_line(
    app, auth, customer, database_url, redis_client, settings, caplog
):
    secret, _ = enrol(app, customer)
    other = _app_with_keys(app, database_url, redis_client, KEY_TWO)  # KEY_ONE dropped
    try:
        from tests.conftest import Auth

        browser = Auth(other.test_client())
        browser.request(EMAIL, "app")
        response = browser.verify(hotp(secret, step_now()))
        assert response.status_code == 400 and "Invalid OTP" in response.get_data(as_text=True)
        assert "opens with none of TOTP_ENCRYPTION_KEYS" in caplog.text
    finally:
        _dispose(other)


def test_redis_failing_mid_check_burns_no_recovery_code(app, customer, monkeypatch):
    """The recovery UPDATE waits for the Redis check; an outage there rolls it back."""
    import redis

    from otpauth.platform.extensions import db
    from otpauth.signin import authenticators
    from otpauth.signin.models import RecoveryCode
    from otpauth.signin.otp.store import OtpStore

    _, codes = enrol(app, customer)

    def down(*args, **kwargs):
        raise redis.ConnectionError("down")

    monkeypatch.setattr(OtpStore, "verify_totp", down)
    with app.test_request_context():
        with pytest.raises(redis.ConnectionError):
            authenticators.verify("customer", customer, codes[0])
    monkeypatch.undo()
    with app.app_context():
        assert not any(db.session.scalars(select(RecoveryCode.used_at)).all())
    with app.test_request_context():
        assert authenticators.verify("customer", customer, codes[0])
