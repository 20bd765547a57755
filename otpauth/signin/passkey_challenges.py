"""WebAuthn challenges in Redis: the only module that knows their keys.

A challenge lives ``TTL_SECONDS`` (5 minutes) under
``wa:{u:<kind>:<owner>}:chal:<id>`` and is taken with GETDEL, so it works once whatever
the number of app instances. ``<id>`` is a keyed hash of the challenge itself: the
browser's answer carries the challenge back (in its clientDataJSON), so nothing needs to
be kept in the cookie. A sign-in challenge has no owner yet (discoverable credentials: the
authenticator names the account): it is kept under the owner ``anon:<id>``, which spreads
them over Redis Cluster slots. The stored value says what the challenge is for, so a
registration challenge cannot be spent on a sign-in or the other way round.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import redis

TTL_SECONDS = 300
CHALLENGE_BYTES = 32


def _key(kind: str, owner: int | None, cid: str) -> str:
    tag = f"u:{kind}:{owner}" if owner is not None else f"u:anon:{cid}"
    return f"wa:{{{tag}}}:chal:{cid}"


class ChallengeStore:
    """Issue and spend single-use WebAuthn challenges."""

    def __init__(self, client: redis.Redis, key: bytes) -> None:
        self.redis = client
        self.key = key  # keys the challenge ids: a key name reveals no challenge

    def _id(self, challenge: bytes) -> str:
        return hmac.new(self.key, challenge, hashlib.sha256).hexdigest()[:32]

    def issue(self, purpose: str, kind: str, owner: int | None = None) -> bytes:
        """A new random challenge for ``purpose`` (``register`` or ``signin``)."""
        challenge = secrets.token_bytes(CHALLENGE_BYTES)
        self.redis.set(_key(kind, owner, self._id(challenge)), purpose, ex=TTL_SECONDS)
        return challenge

    def spend(self, challenge: bytes, purpose: str, kind: str, owner: int | None = None) -> bool:
        """Whether ``challenge`` was issued for ``purpose`` and not spent or expired; it is
        spent now either way (one GETDEL)."""
        if not challenge:
            return False
        found = self.redis.getdel(_key(kind, owner, self._id(challenge)))
        if found is None:
            return False
        stored = found.decode() if isinstance(found, bytes) else found
        return hmac.compare_digest(stored, f"{purpose}")
