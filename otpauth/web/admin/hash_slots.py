"""At most ``STAFF_PASSWORD_SLOTS`` staff password hashes (Argon2) at once, across every
process and host sharing the app's Redis.

Argon2 is slow on purpose; unbounded, a flood of staff sign-ins (or setup forms) keeps the
web workers busy hashing and the customer pages wait behind them. A sign-in that finds
every slot taken is refused at once (``Busy``: the view answers 503 with Retry-After)
instead of queueing. The only module that knows this Redis key.

Key: ``staff:{hash-slots}:holders`` sorted set of slot tokens scored by when taken; a slot
not given back within ``STALE_SECONDS`` (a killed worker) is taken back by the next caller.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app

from ...platform.redis import get_redis

EXTENSION_KEY = "otpauth.staff_hash_slots"
KEY = "staff:{hash-slots}:holders"
STALE_SECONDS = 30  # an Argon2 hash takes well under a second
RETRY_AFTER = 5

# KEYS: the holders. ARGV: now, stale seconds, slots, token. 1: taken, 0: all busy.
_TAKE = """
local now, stale = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - stale)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('EXPIRE', KEYS[1], stale)
return 1
"""


class Busy(Exception):
    """Every password-hashing slot is in use; try again in ``RETRY_AFTER`` seconds."""


def init_app(app: Flask) -> None:
    """Bind the take script to the app's Redis."""
    with app.app_context():
        app.extensions[EXTENSION_KEY] = get_redis().register_script(_TAKE)


@contextmanager
def slot() -> Iterator[None]:
    """Hold one slot for the ``with`` block, or raise ``Busy`` at once."""
    token = secrets.token_hex(8)
    size = current_app.config["STAFF_PASSWORD_SLOTS"]
    take = current_app.extensions[EXTENSION_KEY]
    if not int(take(keys=[KEY], args=[time.time(), STALE_SECONDS, size, token])):
        raise Busy
    try:
        yield
    finally:
        get_redis().zrem(KEY, token)
