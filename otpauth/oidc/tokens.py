"""JWTs the provider signs besides ID tokens: logout tokens; and reading back our own.

joserfc does the JOSE work. Reading accepts only the algorithms we sign with (RS256,
ES256) and only the published keys, so ``alg: none`` and an HS256 token keyed with our
public key (key confusion) are refused before any claim is looked at.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError

from . import keys

ALGORITHMS = ["RS256", "ES256"]
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_SECONDS = 120


def logout_token(client_id: str, sub: str, sid: str) -> str:
    """A signed Back-Channel Logout 1.0 logout token (no ``nonce``)."""
    signing = keys.current()
    now = int(time.time())
    claims = {
        "iss": current_app.config["OIDC_ISSUER"],
        "aud": client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_SECONDS,
        "jti": secrets.token_urlsafe(16),
        "sub": sub,
        "sid": sid,
        "events": {BACKCHANNEL_EVENT: {}},
    }
    header = {"alg": signing.alg, "kid": signing.kid, "typ": "logout+jwt"}
    return jwt.encode(header, claims, signing.key, algorithms=[signing.alg])


@dataclass(frozen=True)
class Hint:
    """What a valid ``id_token_hint`` says: the clients it was for and the session."""

    audience: list[str]
    sid: str | None


def read_id_token_hint(value: str) -> Hint | None:
    """The hint's audience and sid if we signed it (expired is fine); None otherwise."""
    if not value or len(value) > 8192 or not value.isascii():
        return None
    try:
        token = jwt.decode(value, keys.public_keyset(), algorithms=ALGORITHMS)
    except (JoseError, ValueError, TypeError):
        return None
    claims = token.claims
    if claims.get("iss") != current_app.config["OIDC_ISSUER"]:
        return None
    aud = claims.get("aud")
    audience = [aud] if isinstance(aud, str) else [a for a in aud or [] if isinstance(a, str)]
    sid = claims.get("sid")
    return Hint(audience, sid if isinstance(sid, str) else None)
