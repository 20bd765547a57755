"""GrantStore: the only module that knows the OIDC Redis keys.

Every key of one login session shares the hash tag ``{s:<tag>}`` (``tag`` = the session's
public id, a hash of its sid), so each script stays in one Redis Cluster slot. A code or
token names its session and family in clear (``<tag>.<family>.<secret>``); Redis holds
only the SHA-256 of the whole string, so a dump of Redis opens nothing.

Keys (TTL in brackets):
- ``oidc:{s:<tag>}:code:<hash>`` hash: the authorization request [60 s]
- ``oidc:{s:<tag>}:used:<hash>`` a spent code, for replay detection [60 s]
- ``oidc:{s:<tag>}:at:<hash>`` hash: an access token [OIDC_ACCESS_TOKEN_SECONDS]
- ``oidc:{s:<tag>}:rt:<hash>`` hash: a refresh token, ``used`` once rotated
  [OIDC_REFRESH_TOKEN_SECONDS]
- ``oidc:{s:<tag>}:fam:<family>`` present once the family is revoked [refresh lifetime]
- ``oidc:{s:<tag>}:rps`` set: the clients that received a token in the session
  [the session lifetime]
- ``oidc:{sweep}`` sorted set: sessions that gave out tokens -> when to check next
  whether they ended by idling or by age (Redis just lets those expire) [none: members
  leave when their session has ended and been told]
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

import redis

CODE_SECONDS = 60
SWEEP = "oidc:{sweep}"
TAG_RE = re.compile(r"^[0-9a-f]{20}$")
FAMILY_RE = re.compile(r"^[0-9a-f]{16}$")

# KEYS: the code, its tombstone. ARGV: tombstone TTL. Single use: read and delete at once.
_TAKE_CODE = """
local rec = redis.call('HGETALL', KEYS[1])
if #rec == 0 then
  return {'gone', redis.call('GET', KEYS[2]) or ''}
end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[1])
return {'ok', rec}
"""

# KEYS: the refresh token, its family. ARGV: the family's TTL.
# A second use of a rotated token revokes the family: the thief and the owner both stop.
_ROTATE = """
local rec = redis.call('HGETALL', KEYS[1])
if #rec == 0 then return {'gone', {}} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'revoked', {}} end
if redis.call('HGET', KEYS[1], 'used') == '1' then
  redis.call('SET', KEYS[2], 'revoked', 'EX', ARGV[1])
  return {'reuse', rec}
end
redis.call('HSET', KEYS[1], 'used', '1')
return {'ok', rec}
"""


@dataclass(frozen=True)
class Grant:
    """What a code or token stands for."""

    client_id: str
    sid: str
    user_id: int
    scope: str
    family: str
    fields: dict[str, str]


@dataclass(frozen=True)
class Taken:
    """The answer of ``take_code`` / ``rotate``: ``ok``, ``gone``, ``revoked`` or ``reuse``."""

    status: str
    grant: Grant | None


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _split(value: str) -> tuple[str, str] | None:
    """(tag, family) of a code or token made here; None for anything else."""
    parts = value.split(".")
    if len(parts) != 3 or not TAG_RE.match(parts[0]) or not FAMILY_RE.match(parts[1]):
        return None
    return parts[0], parts[1]


def session_tag(sid: str) -> str:
    """The tag of a session in keys and tokens (its public id, not the sid)."""
    return hashlib.sha256(sid.encode()).hexdigest()[:20]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _grant(flat: list, family: str) -> Grant:
    fields = {_text(flat[i]): _text(flat[i + 1]) for i in range(0, len(flat), 2)}
    return Grant(
        client_id=fields.get("cid", ""),
        sid=fields.get("sid", ""),
        user_id=int(fields.get("uid", "0") or 0),
        scope=fields.get("scope", ""),
        family=family,
        fields=fields,
    )


class GrantStore:
    """Codes, access and refresh tokens, and which clients each session served."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._take = client.register_script(_TAKE_CODE)
        self._rotate = client.register_script(_ROTATE)

    @staticmethod
    def new_value(sid: str, family: str | None = None) -> str:
        """A fresh code or token string for the session ``sid`` (family drawn if None)."""
        family = family or secrets.token_hex(8)
        return f"{session_tag(sid)}.{family}.{secrets.token_urlsafe(32)}"

    @staticmethod
    def family_of(value: str) -> str | None:
        """The family named in a code or token, or None when it is not one of ours."""
        split = _split(value)
        return split[1] if split else None

    @staticmethod
    def _key(value: str, kind: str) -> str | None:
        split = _split(value)
        return f"oidc:{{s:{split[0]}}}:{kind}:{_hash(value)}" if split else None

    @staticmethod
    def _family_key(value: str) -> str:
        tag, family = _split(value) or ("", "")
        return f"oidc:{{s:{tag}}}:fam:{family}"

    def save(self, kind: str, value: str, fields: dict[str, str | int], ttl: int) -> None:
        """Store a code (``code``), access (``at``) or refresh token (``rt``)."""
        key = self._key(value, kind)
        if key is None:
            raise ValueError("not a value made by new_value")
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, mapping={k: str(v) for k, v in fields.items()})
        pipe.expire(key, ttl)
        pipe.execute()

    def take_code(self, code: str) -> Taken:
        """Consume a code (single use); a replay answers ``gone`` and revokes its family."""
        key = self._key(code, "code")
        if key is None:
            return Taken("gone", None)
        status, rec = self._take(keys=[key, self._key(code, "used")], args=[CODE_SECONDS])
        status = _text(status)
        if status != "ok":
            if rec:  # the code was used before: what it bought dies too (RFC 6749 §4.1.2)
                self.revoke_family(code, CODE_SECONDS * 2 + 3600)
            return Taken("gone", None)
        return Taken("ok", _grant(rec, self.family_of(code) or ""))

    def rotate(self, token: str, family_ttl: int) -> Taken:
        """Spend a refresh token; see ``_ROTATE``."""
        key = self._key(token, "rt")
        if key is None:
            return Taken("gone", None)
        status, rec = self._rotate(keys=[key, self._family_key(token)], args=[family_ttl])
        grant = _grant(rec, self.family_of(token) or "") if rec else None
        return Taken(_text(status), grant)

    def lookup(self, kind: str, value: str) -> Grant | None:
        """A live access (``at``) or unused refresh token (``rt``) of a live family."""
        key = self._key(value, kind)
        if key is None:
            return None
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(key)
        pipe.exists(self._family_key(value))
        rec, revoked = pipe.execute()
        if not rec or revoked or _text(rec.get(b"used", rec.get("used", b"0"))) == "1":
            return None
        flat = [item for pair in rec.items() for item in pair]
        return _grant(flat, self.family_of(value) or "")

    def delete(self, kind: str, value: str) -> None:
        """Forget one token."""
        key = self._key(value, kind)
        if key is not None:
            self.redis.delete(key)

    def revoke_family(self, value: str, ttl: int) -> None:
        """Revoke every token of the family named in ``value``."""
        if _split(value):
            self.redis.set(self._family_key(value), "revoked", ex=max(ttl, 1))

    def add_client(self, sid: str, client_id: str, ttl: int, check_at: float) -> None:
        """Remember that ``client_id`` received a token in the session ``sid``."""
        key = f"oidc:{{s:{session_tag(sid)}}}:rps"
        pipe = self.redis.pipeline(transaction=True)
        pipe.sadd(key, client_id)
        pipe.expire(key, ttl)
        pipe.execute()
        self.watch(sid, check_at)  # another slot: its own call

    def watch(self, sid: str, at: float) -> None:
        """Check at ``at`` whether ``sid`` has ended (idle or lifetime)."""
        self.redis.zadd(SWEEP, {sid: at})

    def due(self, now: float, limit: int = 100) -> list[str]:
        """Watched sessions whose check is due."""
        return [_text(m) for m in self.redis.zrangebyscore(SWEEP, "-inf", now, 0, limit)]

    def unwatch(self, sid: str) -> bool:
        """Stop watching ``sid``; True for the one process that removed it (it notifies)."""
        return bool(self.redis.zrem(SWEEP, sid))

    def take_clients(self, sid: str) -> list[str]:
        """The clients that received a token in ``sid``, forgotten as they are read."""
        key = f"oidc:{{s:{session_tag(sid)}}}:rps"
        pipe = self.redis.pipeline(transaction=True)
        pipe.smembers(key)
        pipe.delete(key)
        members, _ = pipe.execute()
        return sorted(_text(m) for m in members)
