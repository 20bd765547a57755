"""GrantStore: single-use codes and refresh rotation stay single-use under concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from otpauth.oidc.store import GrantStore

SID = "customer:7:" + "a" * 32
FIELDS = {"cid": "portal", "sid": SID, "uid": 7, "scope": "openid offline_access"}


def test_a_code_is_taken_once_even_by_racing_requests(redis_client):
    store = GrantStore(redis_client)
    code = store.new_value(SID)
    store.save("code", code, FIELDS, 60)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: store.take_code(code).status, range(16)))
    assert answers.count("ok") == 1 and answers.count("gone") == 15


def test_a_refresh_token_rotates_once_and_racing_reuse_revokes_the_family(redis_client):
    store = GrantStore(redis_client)
    token = store.new_value(SID)
    sibling = store.new_value(SID, store.family_of(token))
    store.save("rt", token, FIELDS, 600)
    store.save("at", sibling, FIELDS, 600)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: store.rotate(token, 600).status, range(16)))
    assert answers.count("ok") == 1
    assert set(answers) - {"ok"} <= {"reuse", "revoked"} and "reuse" in answers
    assert store.lookup("at", sibling) is None  # the family is revoked


def test_keys_hold_only_hashes_and_share_the_session_tag(redis_client):
    store = GrantStore(redis_client)
    token = store.new_value(SID)
    store.save("at", token, FIELDS, 600)
    (key,) = redis_client.keys("oidc:*")
    name = key.decode()
    assert token.split(".")[2] not in name and name.startswith("oidc:{s:" + token.split(".")[0])
    assert 0 < redis_client.ttl(key) <= 600


def test_malformed_values_are_simply_unknown(redis_client):
    store = GrantStore(redis_client)
    for value in ("", "x", "a.b.c", "0" * 20 + ".zz.x", "é.é.é"):
        assert store.lookup("at", value) is None
        assert store.take_code(value).status == "gone"
        assert store.rotate(value, 60).status == "gone"
