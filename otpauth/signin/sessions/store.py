"""SessionStore: the only module that knows session key names and scripts.

A session id (``sid``) is ``<kind>:<user id>:<secret>``; the secret is 192 random bits
from ``secrets``. The sid names its owner so that a lookup never scans: the keys follow
from it. All keys of one user share the hash tag ``{u:<kind>:<id>}`` (one Redis Cluster
slot), and every key has a TTL.

Keys (TTL in brackets):
- ``sess:{u:<kind>:<id>}:<secret>`` hash: created, seen, ip, ua
  [the sooner of idle limit after ``seen`` and lifetime after ``created``]
- ``sess:{u:<kind>:<id>}:index`` sorted set: secret -> absolute expiry
  [the lifetime, re-armed by each new session]

The request path is one script call (``get``): it checks both limits, returns the record
and writes ``seen`` (re-arming the idle TTL) at most once a minute. A login's ``create`` is
one script call too.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

KINDS = ("customer", "staff")
TOUCH_EVERY_SECONDS = 60.0  # last-seen is written at most this often

_GET = """
local rec = redis.call('HMGET', KEYS[1], 'created', 'seen', 'ip', 'ua', 'm')
if not rec[1] then
  redis.call('ZREM', KEYS[2], ARGV[4])
  return false
end
local now, idle, life = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local created, seen = tonumber(rec[1]), tonumber(rec[2])
if now - created >= life or now - seen >= idle then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[4])
  return false
end
if now - seen >= math.min(tonumber(ARGV[5]), idle / 2) then
  redis.call('HSET', KEYS[1], 'seen', ARGV[1])
  local left = math.min(idle, created + life - now)
  redis.call('PEXPIRE', KEYS[1], math.max(math.floor(left * 1000), 1))
  rec[2] = ARGV[1]
end
return rec
"""


# KEYS: the session, the index. ARGV: now, idle TTL, lifetime, secret, ip, ua, sign-in
# method ('' = none).
_CREATE = """
local now, ttl, life = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'created', ARGV[1], 'seen', ARGV[1])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'ip', ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'ua', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'm', ARGV[7]) end
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
-- Entries of sessions that idled out (their hash expired) go too, at most 16 a login: the
-- index would otherwise keep them until their lifetime ends (the soak's Redis growth).
local prefix = string.sub(KEYS[1], 1, #KEYS[1] - #ARGV[4])
for _, other in ipairs(redis.call('ZRANGE', KEYS[2], 0, 15)) do
  if redis.call('EXISTS', prefix .. other) == 0 then redis.call('ZREM', KEYS[2], other) end
end
redis.call('ZADD', KEYS[2], now + life, ARGV[4])
redis.call('EXPIRE', KEYS[2], life + 1)
return 1
"""


@dataclass(frozen=True)
class Limits:
    """How long a session of one kind may sit idle, and last in all (seconds)."""

    idle: int
    lifetime: int


@dataclass(frozen=True)
class SessionRecord:
    """One live session, as stored."""

    sid: str
    kind: str
    user_id: int
    created_at: float
    last_seen: float
    ip: str | None
    user_agent: str | None
    method: str | None = None  # how it was signed in: email, sms, app, ... (the OIDC amr)

    @property
    def public_id(self) -> str:
        """The name shown in pages and URLs: it identifies the session but cannot open it."""
        return hashlib.sha256(self.sid.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class _Parsed:
    kind: str
    user_id: int
    secret: str


def _parse(sid: str) -> _Parsed | None:
    """Split a sid into owner and secret; None for anything not made by ``create``."""
    kind, _, rest = sid.partition(":")
    uid, _, secret = rest.partition(":")
    if kind not in KINDS or not uid.isascii() or not uid.isdigit() or len(uid) > 12:
        return None
    plain = secret.replace("-", "").replace("_", "")
    if len(secret) != 32 or not (plain.isascii() and plain.isalnum()):
        return None
    return _Parsed(kind, int(uid), secret)


def _text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else value


class SessionStore:
    """Server-side login sessions in Redis, for customers and staff alike."""

    def __init__(self, client: redis.Redis, limits: dict[str, Limits]) -> None:
        self.redis = client
        self.limits = limits
        self.clock: Callable[[], float] = time.time  # tests move it to prove expiry
        self._get = client.register_script(_GET)
        self._create = client.register_script(_CREATE)
        # Called with the sids of sessions that ``revoke``/``revoke_all`` ended (after the
        # fact; a listener's failure is its own): back-channel logout listens here.
        self.on_end: list[Callable[[list[str]], None]] = []

    @staticmethod
    def _keys(kind: str, user_id: int, secret: str = "") -> tuple[str, str]:
        prefix = f"sess:{{u:{kind}:{user_id}}}:"
        return prefix + secret, prefix + "index"

    def create(
        self,
        kind: str,
        user_id: int,
        *,
        ip: str | None,
        user_agent: str | None,
        method: str | None = None,
    ) -> str:
        """Store a new session for the user and return its sid."""
        if kind not in KINDS:
            raise ValueError(f"unknown user kind {kind!r}")
        lim, now = self.limits[kind], self.clock()
        secret = secrets.token_urlsafe(24)  # 192 bits, 32 characters
        key, index = self._keys(kind, user_id, secret)
        self._create(
            keys=[key, index],
            args=[
                repr(now),
                min(lim.idle, lim.lifetime),
                lim.lifetime,
                secret,
                ip or "",
                user_agent or "",
                method or "",
            ],
        )
        return f"{kind}:{user_id}:{secret}"

    def get(self, sid: str) -> SessionRecord | None:
        """The live session named by ``sid``, or None: one round trip, one script.

        Ends a session past its idle limit or lifetime; refreshes last-seen at most once a
        minute (and with it the idle TTL).
        """
        parsed = _parse(sid)
        if parsed is None:
            return None
        lim = self.limits[parsed.kind]
        now = self.clock()
        key, index = self._keys(parsed.kind, parsed.user_id, parsed.secret)
        rec = self._get(
            keys=[key, index],
            args=[repr(now), lim.idle, lim.lifetime, parsed.secret, TOUCH_EVERY_SECONDS],
        )
        if not rec:
            return None
        return self._record(parsed, rec)

    @staticmethod
    def _record(parsed: _Parsed, rec: list) -> SessionRecord:
        created, seen, ip, ua, method = (_text(v) for v in [*rec, None][:5])
        return SessionRecord(
            sid=f"{parsed.kind}:{parsed.user_id}:{parsed.secret}",
            kind=parsed.kind,
            user_id=parsed.user_id,
            created_at=float(created or 0),
            last_seen=float(seen or 0),
            ip=ip,
            user_agent=ua,
            method=method,
        )

    def list(self, kind: str, user_id: int) -> list[SessionRecord]:
        """The user's live sessions, newest first (two round trips, no scan)."""
        now = self.clock()
        _, index = self._keys(kind, user_id)
        secrets_ = [_text(s) for s in self.redis.zrangebyscore(index, now, "+inf")]
        if not secrets_:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for secret in secrets_:
            pipe.hmget(self._keys(kind, user_id, secret)[0], "created", "seen", "ip", "ua", "m")
        records = []
        for secret, rec in zip(secrets_, pipe.execute(), strict=True):
            if rec[0] is not None:  # an idle session's hash expired before its index entry
                records.append(self._record(_Parsed(kind, user_id, secret or ""), rec))
        return sorted(records, key=lambda r: r.created_at, reverse=True)

    def revoke(self, kind: str, user_id: int, sid: str) -> bool:
        """End one session of this user; False when ``sid`` is not a live one of theirs."""
        parsed = _parse(sid)
        if parsed is None or (parsed.kind, parsed.user_id) != (kind, user_id):
            return False
        key, index = self._keys(kind, user_id, parsed.secret)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(key)
        pipe.zrem(index, parsed.secret)
        deleted, _ = pipe.execute()
        if deleted:
            self._ended([sid])
        return bool(deleted)

    def alive(self, sid: str) -> bool:
        """Whether ``sid`` names a live session (without touching its last-seen time)."""
        parsed = _parse(sid)
        if parsed is None:
            return False
        return bool(self.redis.exists(self._keys(parsed.kind, parsed.user_id, parsed.secret)[0]))

    def _ended(self, sids: list[str]) -> None:
        for listener in self.on_end:
            listener(sids)

    def revoke_all(self, kind: str, user_id: int, *, keep: str | None = None) -> int:
        """End every session of this user except ``keep``; return how many ended."""
        _, index = self._keys(kind, user_id)
        kept = _parse(keep) if keep else None
        victims = [
            _text(s) or ""
            for s in self.redis.zrange(index, 0, -1)
            if kept is None or _text(s) != kept.secret
        ]
        if not victims:
            return 0
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(*(self._keys(kind, user_id, s)[0] for s in victims))
        pipe.zrem(index, *victims)
        deleted, _ = pipe.execute()
        self._ended([f"{kind}:{user_id}:{s}" for s in victims])
        return int(deleted)
