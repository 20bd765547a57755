"""Each run of the suite claims a Redis database of its own on the TEST_REDIS_URL server.

The suite flushes its database before and after every test, so two runs on one database
(``make test`` twice at once, or two worktrees) would erase each other's keys. A run takes
the database the URL names, or the next one up that no other run holds: the claim is a
key ``otpauth-tests:db:<n>`` in database 0, set with NX and a TTL that a thread renews,
deleted at the end of the run (a killed run's claim lapses after ``TTL_SECONDS``).
Database 0 keeps the claims and is never handed out.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import redis

KEY = "otpauth-tests:db:{}"
TTL_SECONDS, RENEW_SECONDS = 300, 60
# Renew or release the claim only while it is still this run's (compare and act at once).
MINE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call({}) end return 0"
RENEW = MINE.format("'expire', KEYS[1], ARGV[2]")
RELEASE = MINE.format("'del', KEYS[1]")


class NoFreeDatabase(Exception):
    """Every database from the URL's number up is held by another run."""


@dataclass
class Claim:
    """This run's database: its URL and number, and the renewing thread."""

    url: str
    number: int
    token: str
    control: redis.Redis  # database 0, where the claims are
    stopped: threading.Event = field(default_factory=threading.Event)

    def renew_until_released(self) -> None:
        while not self.stopped.wait(RENEW_SECONDS):
            try:
                self.control.eval(RENEW, 1, KEY.format(self.number), self.token, TTL_SECONDS)
            except redis.RedisError:
                continue  # the server's outage is the tests' business; the claim's TTL holds

    def release(self) -> None:
        self.stopped.set()
        try:
            self.control.eval(RELEASE, 1, KEY.format(self.number), self.token)
        except redis.RedisError:
            pass  # the claim lapses after TTL_SECONDS
        self.control.close()


def with_db(url: str, number: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{number}", parts.query, parts.fragment))


def claim(url: str) -> Claim:
    """Claim the URL's database or the next free one above it; renewed until released."""
    control = redis.Redis.from_url(with_db(url, 0))
    start = max(1, int(urlsplit(url).path.strip("/") or 0))
    try:
        count = int(control.config_get("databases").get("databases", 16))
    except redis.ResponseError:  # CONFIG disabled (a managed Redis): the default count
        count = 16
    token = secrets.token_hex(8)
    for number in range(start, count):
        if control.set(KEY.format(number), token, nx=True, ex=TTL_SECONDS):
            held = Claim(with_db(url, number), number, token, control)
            threading.Thread(target=held.renew_until_released, daemon=True).start()
            return held
    control.close()
    raise NoFreeDatabase(f"databases {start}-{count - 1} of {url} are all held by other runs")
