"""The WebAuthn challenge store: 5 minutes in Redis, single-use (GETDEL), one purpose."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from otpauth.signin.passkey_challenges import TTL_SECONDS, ChallengeStore

KEY = b"k" * 32


def test_a_challenge_lives_five_minutes_under_its_owners_hash_tag(redis_client):
    store = ChallengeStore(redis_client, KEY)
    challenge = store.issue("register", "customer", 7)
    [key] = [k.decode() for k in redis_client.scan_iter("wa:*")]
    assert key.startswith("wa:{u:customer:7}:chal:") and challenge.hex() not in key
    assert TTL_SECONDS - 5 <= redis_client.ttl(key) <= TTL_SECONDS == 300


def test_spent_once_for_its_own_purpose_and_owner(redis_client):
    store = ChallengeStore(redis_client, KEY)
    challenge = store.issue("signin", "customer")
    assert not store.spend(challenge, "register", "customer")  # wrong purpose: and spent
    again = store.issue("signin", "customer")
    assert not store.spend(again, "signin", "staff", 1)  # another owner's slot: not found
    assert store.spend(again, "signin", "customer")
    assert not store.spend(again, "signin", "customer")
    assert not store.spend(b"", "signin", "customer")


def test_twenty_parallel_spends_of_one_challenge_succeed_once(redis_client):
    store = ChallengeStore(redis_client, KEY)
    challenge = store.issue("signin", "customer")
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: store.spend(challenge, "signin", "customer"), range(20)))
    assert results.count(True) == 1
