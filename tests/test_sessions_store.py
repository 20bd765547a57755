"""SessionStore on fakeredis and the real Redis: keys, TTLs, expiry, revoke, one round trip."""

from __future__ import annotations

import time

import pytest

from otpauth.signin.sessions.store import Limits, SessionStore
from tests.conftest import require_real_redis

LIMITS = {"customer": Limits(idle=1800, lifetime=28800), "staff": Limits(idle=900, lifetime=3600)}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(redis_client) -> SessionStore:
    return SessionStore(redis_client, LIMITS)


def spy_commands(client) -> list[str]:  # noqa: ANN001
    """Record the name of every command ``client`` sends outside a pipeline."""
    names: list[str] = []
    original = client.execute_command

    def execute(*args, **kwargs):  # noqa: ANN002, ANN003
        names.append(str(args[0]).upper())
        return original(*args, **kwargs)

    client.execute_command = execute
    return names


def test_create_then_get_returns_the_record(store):
    sid = store.create("customer", 7, ip="203.0.113.9", user_agent="Firefox")
    record = store.get(sid)
    assert (record.sid, record.kind, record.user_id) == (sid, "customer", 7)
    assert (record.ip, record.user_agent) == ("203.0.113.9", "Firefox")
    assert abs(record.created_at - time.time()) < 5 and record.last_seen == record.created_at


def test_sid_is_long_random_and_names_its_owner(store):
    sids = {store.create("customer", 7, ip=None, user_agent=None) for _ in range(20)}
    assert len(sids) == 20
    for sid in sids:
        kind, uid, secret = sid.split(":")
        assert (kind, uid) == ("customer", "7") and len(secret) == 32  # 192 bits, base64url


def test_every_key_has_a_ttl_and_the_users_hash_tag(store, redis_client):
    store.create("customer", 7, ip=None, user_agent=None)
    store.create("staff", 7, ip=None, user_agent=None)
    keys = sorted(k.decode() for k in redis_client.keys("*"))
    assert len(keys) == 4
    for key in keys:
        assert key.startswith(("sess:{u:customer:7}:", "sess:{u:staff:7}:"))
        assert redis_client.ttl(key) > 0
    customer_hash = next(k for k in keys if "customer" in k and not k.endswith("index"))
    assert 1790 <= redis_client.ttl(customer_hash) <= 1800  # the idle limit first
    assert 28790 <= redis_client.ttl("sess:{u:customer:7}:index") <= 28801


@pytest.mark.parametrize(
    "sid",
    [
        "",
        "nonsense",
        "customer:7",
        "admin:7:" + "a" * 32,
        "customer:x:" + "a" * 32,
        "customer:7:" + "a" * 31,
        "customer:7:" + "é" * 32,
        "customer:7:" + "a" * 32,  # well formed, never issued
    ],
)
def test_unknown_or_malformed_sids_find_nothing(store, sid):
    store.create("customer", 7, ip=None, user_agent=None)
    assert store.get(sid) is None


def test_idle_session_ends(store):
    store.clock = clock = Clock()
    sid = store.create("customer", 7, ip=None, user_agent=None)
    clock.now += 1799
    assert store.get(sid) is not None  # used just in time: the idle clock restarts
    clock.now += 1799
    assert store.get(sid) is not None
    clock.now += 1800
    assert store.get(sid) is None
    assert store.list("customer", 7) == []


def test_busy_session_ends_after_its_lifetime(store):
    store.clock = clock = Clock()
    sid = store.create("customer", 7, ip=None, user_agent=None)
    for _ in range(28800 // 1200 - 1):
        clock.now += 1200
        assert store.get(sid) is not None
    clock.now += 1201
    assert store.get(sid) is None


def test_staff_sessions_keep_their_own_limits(store):
    store.clock = clock = Clock()
    sid = store.create("staff", 3, ip=None, user_agent=None)
    clock.now += 901
    assert store.get(sid) is None  # a customer's would still be alive


def test_last_seen_is_written_at_most_once_a_minute(store, redis_client):
    store.clock = clock = Clock()
    sid = store.create("customer", 7, ip=None, user_agent=None)
    first = store.get(sid).last_seen
    clock.now += 30
    assert store.get(sid).last_seen == first
    clock.now += 31
    assert store.get(sid).last_seen == pytest.approx(clock.now)


def test_the_request_path_is_one_script_call_and_never_scans(store, redis_client):
    sid = store.create("customer", 7, ip=None, user_agent=None)
    store.get(sid)  # loads the script once
    names = spy_commands(redis_client)
    for _ in range(3):
        assert store.get(sid) is not None
    assert names == ["EVALSHA"] * 3


def test_revoke_one_only_for_its_owner(store):
    mine = store.create("customer", 7, ip=None, user_agent=None)
    other = store.create("customer", 7, ip=None, user_agent=None)
    assert store.revoke("customer", 8, mine) is False  # someone else's: refused
    assert store.revoke("staff", 7, mine) is False
    assert store.get(mine) is not None
    assert store.revoke("customer", 7, mine) is True
    assert store.get(mine) is None and store.get(other) is not None
    assert store.revoke("customer", 7, mine) is False  # already gone
    assert [r.sid for r in store.list("customer", 7)] == [other]


def test_revoke_all_keeps_the_one_asked_for(store):
    store.clock = clock = Clock()
    sids = []
    for _ in range(3):
        clock.now += 1
        sids.append(store.create("customer", 7, ip=None, user_agent=None))
    neighbour = store.create("customer", 8, ip=None, user_agent=None)
    assert [r.sid for r in store.list("customer", 7)] == sids[::-1]  # newest first
    assert store.revoke_all("customer", 7, keep=sids[1]) == 2
    assert [r.sid for r in store.list("customer", 7)] == [sids[1]]
    assert store.revoke_all("customer", 7) == 1
    assert store.list("customer", 7) == [] and store.get(neighbour) is not None


def test_public_id_names_a_session_without_opening_it(store):
    sid = store.create("customer", 7, ip=None, user_agent=None)
    public = store.get(sid).public_id
    assert public not in sid and len(public) == 20
    assert store.get(f"customer:7:{public}") is None


@pytest.fixture
def real_redis():
    """The real server's test database, flushed (this proof needs the server's own clock)."""
    import redis

    client = redis.Redis.from_url(require_real_redis())
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.mark.slow
def test_real_server_expires_idle_and_old_sessions(real_redis):
    """With short limits, Redis itself drops the records (key TTLs), busy or not.

    Robust to a slow machine: a late wake-up can only make the idle one older, and the busy
    one is touched every 0.3 s against an idle limit of 2 s.
    """
    store = SessionStore(real_redis, {"customer": Limits(idle=2, lifetime=3)})
    idle = store.create("customer", 7, ip=None, user_agent=None)
    busy = store.create("customer", 7, ip=None, user_agent=None)
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < 3.3:
        alive = store.get(busy) is not None
        if elapsed < 2.8:
            assert alive, f"busy session ended after {elapsed:.1f} s"
        time.sleep(0.3)
    assert real_redis.exists(f"sess:{{u:customer:7}}:{idle.rsplit(':', 1)[1]}") == 0
    assert real_redis.exists(f"sess:{{u:customer:7}}:{busy.rsplit(':', 1)[1]}") == 0
    assert store.get(idle) is None and store.get(busy) is None
    assert store.list("customer", 7) == []


def test_a_login_prunes_index_entries_of_sessions_that_idled_out(store, redis_client):
    """An idled-out session's hash is gone but its index entry would stay for the whole
    lifetime: the next login removes it (the soak's Redis growth, docs/RELIABILITY.md)."""
    first = store.create("customer", 7, ip=None, user_agent=None)
    second = store.create("customer", 7, ip=None, user_agent=None)
    index = "sess:{u:customer:7}:index"
    gone = [k for k in redis_client.keys("sess:{u:customer:7}:*") if not k.endswith(b"index")]
    assert len(gone) == 2 and redis_client.zcard(index) == 2
    redis_client.delete(gone[0])  # as Redis does when the idle TTL runs out
    store.create("customer", 7, ip=None, user_agent=None)
    assert redis_client.zcard(index) == 2  # the live one and the new one
    assert sum(store.get(s) is not None for s in (first, second)) == 1
