"""REDIS_URL=redis+cluster://: the login flow on a three-master Redis Cluster.

The checklist's five scenarios, a session revoke and an authenticator login run through
the pages with codes, attempt counters, sessions and the per-IP limits on the cluster;
every Lua script the app runs is recorded, and CLUSTER
KEYSLOT proves that each call's keys share one slot (a cross-slot script would fail on a
cluster). Every key left in the cluster has a TTL.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from redis.cluster import RedisCluster
from redis.commands.core import Script

from tests.conftest import TEST_DATABASE_URL, Auth, _empty_tables, code_in, csrf_token
from tests.redis_cluster import Cluster, start_cluster
from tests.totp_support import enrol, hotp, step_now


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    running = start_cluster()
    yield running
    running.stop()


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> str:
    """PostgreSQL when the run has one, else SQLite."""
    return request.getfixturevalue("postgres_url" if TEST_DATABASE_URL else "sqlite_url")


@pytest.fixture
def script_calls(monkeypatch: pytest.MonkeyPatch) -> list[list]:
    """The KEYS of every Lua script call the app makes (the store's and the limiter's)."""
    calls: list[list] = []
    original = Script.__call__

    def recording(self, keys=(), args=(), client=None):  # noqa: ANN001, ANN202
        calls.append(list(keys))
        return original(self, keys=keys, args=args, client=client)

    monkeypatch.setattr(Script, "__call__", recording)
    return calls


@pytest.fixture
def settings() -> dict:
    return {}


@pytest.fixture
def app(cluster: Cluster, db_url: str, settings: dict, script_calls: list) -> Iterator:
    from otpauth import create_app
    from otpauth.delivery import RecordingSender
    from otpauth.platform.extensions import db, limiter

    # The migrating app (db_url) left its embedded pool in the global limiter's options.
    limiter._storage_options.clear()
    app = create_app(
        {"DATABASE_URL": db_url, "REDIS_URL": cluster.url, "RATELIMIT_ENABLED": True, **settings}
    )
    client = app.extensions["otpauth.redis"]
    assert isinstance(client, RedisCluster)
    client.flushall()
    with app.app_context():
        app.extensions["otpauth.delivery"].senders = {
            "email": RecordingSender(),
            "sms": RecordingSender(),
        }
        _empty_tables(db)
        from otpauth.signin.models import Customer

        db.session.add(
            Customer(
                name="Asha Rao",
                email="test@example.com",
                phone="+919876543210",
                customer_type="Household",
            )
        )
        db.session.commit()
    yield app
    _check_slots_and_ttls(client, script_calls)
    client.flushall()
    client.close()
    limiter.storage.storage.close()  # limits' own cluster client
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _check_slots_and_ttls(client: RedisCluster, calls: list[list]) -> None:
    """Each script call's keys in one slot (asked of the cluster); every key with a TTL."""
    assert calls, "no Lua script ran on the cluster"
    for keys in {tuple(k) for k in calls}:
        slots = {client.cluster_keyslot(key) for key in keys}
        assert len(slots) == 1, f"script keys in several slots: {keys}"
    for key in client.scan_iter(count=1000):
        assert client.ttl(key) > 0, f"key without a TTL on the cluster: {key!r}"


@pytest.fixture
def outbox(app) -> list:
    return app.extensions["otpauth.delivery"].senders["email"].messages


@pytest.fixture
def auth(app) -> Auth:
    return Auth(app.test_client())


def login(auth: Auth, outbox: list) -> str:
    assert auth.request().status_code == 302
    return code_in(outbox[-1])


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1000000:06d}"


def test_success_on_the_cluster(app, auth, outbox, script_calls):
    code = login(auth, outbox)
    response = auth.verify(code)
    assert response.headers["Location"] == "/dashboard/"
    assert "Asha Rao" in auth.client.get("/dashboard/").get_data(as_text=True)
    # The store's scripts ran with all of one contact's keys: the slot is the hash tag's.
    from otpauth.signin.otp.store import OtpStore

    store_calls = [keys for keys in script_calls if keys and keys[0].startswith("otp:")]
    assert len(store_calls) == 2  # one issue, one verify: one round trip each
    tag_keys = OtpStore.keys(store_calls[0][0].split("{")[1].split("}")[0]).values()
    client = app.extensions["otpauth.redis"]
    assert len({client.cluster_keyslot(key) for key in tag_keys}) == 1
    # The per-IP limits counted on the cluster too.
    assert any(k.startswith(b"otpauth-rl") or b"LIMITS" in k for k in client.scan_iter())


@pytest.mark.parametrize("settings", [{"OTP_TTL_SECONDS": 1}])
def test_expired_on_the_cluster(app, auth, outbox, settings):
    code = login(auth, outbox)
    time.sleep(2.1)  # real expiry: the key's TTL runs out on the cluster node
    assert "OTP has expired" in auth.verify(code).get_data(as_text=True)


def test_wrong_codes_count_down_on_the_cluster(app, auth, outbox):
    code = login(auth, outbox)
    first = auth.verify(wrong(code)).get_data(as_text=True)
    second = auth.verify(wrong(code)).get_data(as_text=True)
    assert "Invalid OTP. 4 attempts remaining." in first
    assert "Invalid OTP. 3 attempts remaining." in second


def test_five_wrong_codes_lock_on_the_cluster(app, auth, outbox):
    code = login(auth, outbox)
    pages = [auth.verify(wrong(code)).get_data(as_text=True) for _ in range(5)]
    assert "Too many attempts" in pages[4]
    assert "Too many attempts" in auth.verify(code).get_data(as_text=True)
    assert auth.client.get("/dashboard/").status_code == 302


@pytest.mark.parametrize("settings", [{"OTP_RESEND_COOLDOWN_SECONDS": 0}])
def test_resend_kills_the_old_code_on_the_cluster(app, auth, outbox, settings):
    old = login(auth, outbox)
    assert auth.resend().status_code == 302
    new = code_in(outbox[-1])
    if new != old:  # one chance in a million that they are equal
        assert "Invalid OTP" in auth.verify(old).get_data(as_text=True)
    assert auth.verify(new).headers["Location"] == "/dashboard/"


def _signed_in(app, outbox: list) -> Auth:
    """A browser logged in through the pages (the resend cooldown cleared first)."""
    client = app.extensions["otpauth.redis"]
    for key in client.scan_iter(match="otp:*:cool"):
        client.delete(key)
    browser = Auth(app.test_client())
    assert browser.verify(login(browser, outbox)).headers["Location"] == "/dashboard/"
    return browser


def test_session_revoke_on_the_cluster(app, outbox):
    laptop, phone = _signed_in(app, outbox), _signed_in(app, outbox)
    html = laptop.client.get("/account/sessions/").get_data(as_text=True)
    [revoke] = re.findall(r'action="(/account/sessions/[0-9a-f]+/revoke)"', html)
    token = csrf_token(laptop.client, "/account/sessions/")
    assert laptop.client.post(revoke, data={"csrf_token": token}).status_code == 302
    assert phone.client.get("/dashboard/").status_code == 302  # ended on the cluster
    assert laptop.client.get("/dashboard/").status_code == 200
    laptop.logout()
    assert laptop.client.get("/dashboard/").status_code == 302


def test_authenticator_login_on_the_cluster(app, auth, outbox):
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Authenticator, Customer, RecoveryCode

    with app.app_context():
        db.session.query(RecoveryCode).delete()
        db.session.query(Authenticator).delete()
        db.session.commit()
        customer_id = db.session.query(Customer.id).scalar()
    secret, recovery = enrol(app, customer_id)
    assert auth.request("test@example.com", "app").status_code == 302
    code = hotp(secret, step_now())
    assert auth.verify(code).headers["Location"] == "/dashboard/"
    auth.logout()
    assert auth.request("test@example.com", "app").status_code == 302
    assert "Invalid OTP" in auth.verify(code).get_data(as_text=True)  # a replay, refused
    assert auth.verify(recovery[0]).headers["Location"] == "/dashboard/"
