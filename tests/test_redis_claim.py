"""Two runs of the suite on one Redis server each get a database of their own."""

from __future__ import annotations

import redis

from tests import redis_claim
from tests.conftest import require_real_redis


def test_two_runs_claim_two_databases_and_a_release_frees_one():
    ours = require_real_redis()  # this run's claim
    first = redis_claim.claim(redis_claim.with_db(ours, 1))  # flushes nothing: claims only
    second = redis_claim.claim(redis_claim.with_db(ours, 1))
    try:
        numbers = {first.number, second.number, int(ours.rsplit("/", 1)[1])}
        assert len(numbers) == 3  # three runs, three databases
        control = redis.Redis.from_url(redis_claim.with_db(ours, 0))
        assert 0 < control.ttl(redis_claim.KEY.format(first.number)) <= redis_claim.TTL_SECONDS
        first.release()
        again = redis_claim.claim(redis_claim.with_db(ours, 1))
        assert again.number == first.number  # the lowest free one, once released
        again.release()
        control.close()
    finally:
        first.release()
        second.release()
