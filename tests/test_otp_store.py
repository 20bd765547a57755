"""OtpStore on fakeredis and on the real server: limits, TTLs, atomicity under threads."""

from __future__ import annotations

import threading
import time

import pytest

from otpauth.signin.otp.codes import Hasher, decoy_hash, generate_code
from otpauth.signin.otp.store import KEEP_CUSTOMER, Limits, OtpStore
from tests.conftest import require_real_redis

LIMITS = Limits(
    ttl=300, max_attempts=5, cooldown=60, max_requests=5, window=3600, max_failures_per_day=20
)
H = Hasher("store-test-secret")
TAG = H.tag("email", "test@example.com")


def make_store(redis_client, **changes: int) -> OtpStore:
    return OtpStore(redis_client, Limits(**{**LIMITS.__dict__, **changes}))


def issue(store: OtpStore, code: str = "123456", cid: str = "42"):
    return store.issue(TAG, H.code(TAG, code), decoy_hash(), cid)


def test_code_is_stored_only_as_keyed_hash_with_ttls(redis_client):
    store = make_store(redis_client)
    assert issue(store, "654321").issued
    stored = b" ".join(
        k
        + b" "
        + (
            b" ".join(redis_client.hvals(k))
            if redis_client.type(k) == b"hash"
            else redis_client.get(k)
        )
        for k in redis_client.keys("*")
    )
    assert b"654321" not in stored and b"example" not in stored
    code = redis_client.hgetall(store.keys(TAG)["code"])
    assert code[b"h"] == H.code(TAG, "654321").encode()
    assert code[b"n"] == b"0" and code[b"cid"] == b"42"
    for name, key in store.keys(TAG).items():
        if name == "fails":
            continue  # written on the first wrong guess
        ttl = redis_client.ttl(key)
        assert 0 < ttl <= 3600, (name, ttl)
    assert 295 <= redis_client.ttl(store.keys(TAG)["code"]) <= 300
    assert 55 <= redis_client.ttl(store.keys(TAG)["cool"]) <= 60


def test_all_keys_of_a_contact_share_one_cluster_slot():
    keys = OtpStore.keys(TAG).values()
    assert {k.split("{")[1].split("}")[0] for k in keys} == {TAG}


def test_right_code_logs_in_once(redis_client):
    store = make_store(redis_client)
    issue(store)
    first = store.verify(TAG, H.code(TAG, "123456"))
    assert first.status == "ok" and first.customer_id == "42"
    assert store.verify(TAG, H.code(TAG, "123456")).status == "expired"  # single use


def test_wrong_guesses_count_down_then_lock_even_the_right_code(redis_client):
    store = make_store(redis_client)
    issue(store)
    left = [store.verify(TAG, H.code(TAG, "000000")) for _ in range(5)]
    assert [r.attempts_left for r in left[:4]] == [4, 3, 2, 1]
    assert all(295 <= r.expires_in <= 300 and r.live is not None for r in left[:4])
    assert left[4].status == "locked" and left[4].live is None
    assert store.verify(TAG, H.code(TAG, "123456")).status == "locked"
    assert int(redis_client.get(store.keys(TAG)["fails"])) == 5
    assert 86390 < redis_client.ttl(store.keys(TAG)["fails"]) <= 86400


def test_unknown_contact_code_never_matches(redis_client):
    store = make_store(redis_client)
    result = store.issue(TAG, H.code(TAG, "123456"), decoy_hash(), "")
    assert result.issued and result.customer_id == ""
    assert store.verify(TAG, H.code(TAG, "123456")).status == "invalid"


def test_cooldown_then_window_limit(redis_client):
    store = make_store(redis_client, cooldown=0, max_requests=3)
    assert [issue(store).status for _ in range(4)] == ["issued"] * 3 + ["limited"]
    refused = issue(store)
    assert refused.status == "limited" and 3590 <= refused.retry_after <= 3600
    cooled = make_store(redis_client, cooldown=60)
    redis_client.flushdb()
    assert issue(cooled).issued
    wait = issue(cooled)
    assert wait.status == "cooldown" and 55 <= wait.retry_after <= 60


def test_resend_replaces_the_code_and_keeps_the_customer(redis_client):
    store = make_store(redis_client, cooldown=0)
    issue(store, "111111", cid="7")
    again = store.issue(TAG, H.code(TAG, "222222"), decoy_hash(), KEEP_CUSTOMER)
    assert again.issued and again.customer_id == "7"
    assert store.verify(TAG, H.code(TAG, "111111")).status == "invalid"
    assert store.verify(TAG, H.code(TAG, "222222")).customer_id == "7"


def test_resend_without_pending_request_is_gone(redis_client):
    assert make_store(redis_client).issue(TAG, "h", decoy_hash(), KEEP_CUSTOMER).status == "gone"


def test_daily_failure_cap_refuses_requests(redis_client):
    store = make_store(redis_client, cooldown=0, max_requests=100, max_failures_per_day=7)
    for _ in range(2):
        issue(store)
        for _ in range(5):
            store.verify(TAG, H.code(TAG, "000000"))
    refused = issue(store)
    assert refused.status == "locked" and refused.retry_after > 86000


def test_pending_reports_attempts_and_expiry(redis_client):
    store = make_store(redis_client)
    assert store.pending(TAG) == (None, 0)
    issue(store)
    store.verify(TAG, H.code(TAG, "000000"))
    live, resend_in = store.pending(TAG)
    assert live is not None and live.attempts_left == 4 and 295 <= live.expires_in <= 300
    assert 55 <= resend_in <= 60  # the cooldown, read in the same round trip


def test_live_code_id_names_the_latest_code_only(redis_client):
    store = make_store(redis_client)
    assert store.live_code_id(TAG) is None
    store.issue(TAG, H.code(TAG, "123456"), "decoy", "7", "first")
    assert store.live_code_id(TAG) == "first"
    redis_client.delete(f"otp:{{{TAG}}}:cool")
    store.issue(TAG, H.code(TAG, "654321"), "decoy", "7", "second")  # a resend supersedes
    assert store.live_code_id(TAG) == "second"
    store.verify(TAG, H.code(TAG, "654321"))  # used
    assert store.live_code_id(TAG) is None


def test_generate_code_is_six_digits_and_varied():
    codes = {generate_code(6) for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 190


def test_hashes_are_keyed_and_bound_to_the_contact():
    other = Hasher("another-secret")
    assert H.code(TAG, "123456") != other.code(TAG, "123456")
    assert H.code(TAG, "123456") != H.code(H.tag("sms", "+919876543210"), "123456")
    assert H.tag("email", "a@b.c") != other.tag("email", "a@b.c")


# Real-server tests: Redis's own atomicity and expiry, which fakeredis can only imitate.


@pytest.fixture
def real_redis():
    """The real server's test database, flushed (skipped only where TEST_REDIS_URL is unset)."""
    import redis

    client = redis.Redis.from_url(require_real_redis())
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def real_store(real_redis):
    return make_store(real_redis)


def _hammer(n: int, target) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = target(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_twenty_parallel_wrong_guesses_use_at_most_max_attempts(real_store, real_redis):
    issue(real_store)
    results = _hammer(20, lambda i: real_store.verify(TAG, H.code(TAG, f"{i:06d}")))
    counted = [r for r in results if r.status == "invalid"]
    locked = [r for r in results if r.status == "locked"]
    assert len(counted) + len(locked) == 20
    assert len(counted) == 4 and len(locked) == 16  # the fifth wrong guess locks the code
    assert int(real_redis.hget(real_store.keys(TAG)["code"], "n")) == 5
    assert real_store.verify(TAG, H.code(TAG, "123456")).status == "locked"


def test_ten_parallel_right_codes_log_in_exactly_once(real_store):
    issue(real_store)
    results = _hammer(10, lambda i: real_store.verify(TAG, H.code(TAG, "123456")))
    assert [r.status for r in results].count("ok") == 1
    assert all(r.status == "expired" for r in results if r.status != "ok")


def test_parallel_requests_never_exceed_the_window(real_store, real_redis):
    store = make_store(real_redis, cooldown=0, max_requests=5)
    results = _hammer(20, lambda i: issue(store))
    assert sum(r.issued for r in results) == 5
    assert int(real_redis.get(store.keys(TAG)["sends"])) == 5


def test_code_expires_on_the_real_server(real_store, real_redis):
    store = make_store(real_redis, ttl=1)
    issue(store)
    assert real_redis.pttl(store.keys(TAG)["code"]) <= 1000
    time.sleep(1.6)
    assert store.verify(TAG, H.code(TAG, "123456")).status == "expired"
