"""Registered clients: create, find, delete, rotate the secret; Authlib's view of one.

Secrets are 256 random bits, shown once and stored as their SHA-256 (a secret this long
needs no slow hash); checks compare in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin
from flask import current_app, g, has_request_context
from sqlalchemy import select

from ..platform.extensions import db
from ..signin.models import utcnow
from .models import OidcClient

SCOPES = ("openid", "profile", "email", "phone", "offline_access")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


class ClientError(ValueError):
    """A client registration that cannot be accepted; the message says why."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_uri(uri: str, production: bool) -> str:
    """``uri`` if it may be registered: https (http only for loopback outside production)."""
    parts = urlsplit(uri)
    if not uri.isascii() or not uri.isprintable() or parts.fragment or not parts.hostname:
        raise ClientError(f"not an absolute URI without a fragment: {uri!r}")
    local = parts.hostname in LOCAL_HOSTS
    if parts.scheme == "https" or (parts.scheme == "http" and local and not production):
        return uri
    raise ClientError(
        f"must be https (http only for 127.0.0.1/localhost outside production): {uri}"
    )


@dataclass(frozen=True)
class Created:
    """A new client and its secret (None for a public client), shown once."""

    client: OidcClient
    secret: str | None


def create(
    name: str,
    redirect_uris: list[str],
    *,
    post_logout_uris: list[str] | None = None,
    backchannel_logout_uri: str | None = None,
    public: bool = False,
    first_party: bool = False,
) -> Created:
    """Register a client; the caller commits and shows the secret once."""
    production = current_app.config.get("ENV_NAME") == "production"
    if not redirect_uris:
        raise ClientError("at least one redirect URI is required")
    uris = [check_uri(u, production) for u in redirect_uris]
    logout_uris = [check_uri(u, production) for u in post_logout_uris or []]
    backchannel = check_uri(backchannel_logout_uri, production) if backchannel_logout_uri else None
    secret = None if public else secrets.token_urlsafe(32)
    client = OidcClient(
        client_id=secrets.token_hex(16),  # never a leading "-" (a command-line option)
        name=name.strip()[:200] or "client",
        secret_hash=_hash(secret) if secret else None,
        redirect_uris=json.dumps(uris),
        post_logout_redirect_uris=json.dumps(logout_uris),
        backchannel_logout_uri=backchannel,
        public=public,
        first_party=first_party,
    )
    db.session.add(client)
    return Created(client, secret)


def find(client_id: object) -> OidcClient | None:
    """The client with this id, or None (also for a malformed id); one query per request."""
    if not isinstance(client_id, str) or not client_id or len(client_id) > 32:
        return None
    seen = g.setdefault("oidc_clients", {}) if has_request_context() else {}
    if client_id not in seen:
        query = select(OidcClient).where(OidcClient.client_id == client_id)
        seen[client_id] = db.session.scalars(query).first()
    return seen[client_id]


def all_clients() -> list[OidcClient]:
    """Every client, by name."""
    return list(db.session.scalars(select(OidcClient).order_by(OidcClient.name, OidcClient.id)))


def rotate_secret(client: OidcClient) -> str:
    """A new secret for a confidential client (the old one stops at once); caller commits."""
    if client.public:
        raise ClientError("a public client has no secret")
    secret = secrets.token_urlsafe(32)
    client.secret_hash = _hash(secret)
    return secret


def touch(client: OidcClient) -> None:
    """Stamp the client's last use (at most once a minute, to spare SQL)."""
    now = utcnow()
    last = client.last_used_at
    if last is not None and last.tzinfo is None:  # SQLite gives it back without its zone
        last = last.replace(tzinfo=UTC)
    if last is None or (now - last).total_seconds() > 60:
        client.last_used_at = now
        db.session.commit()


class AuthlibClient(ClientMixin):
    """Authlib's view of a registered client."""

    def __init__(self, row: OidcClient) -> None:
        self.row = row
        self.client_id = row.client_id
        self.client_metadata: dict = {}

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.row.redirect_list
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return "openid"
        return " ".join(s for s in scope.split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_list  # exact match only

    def check_client_secret(self, client_secret: str) -> bool:
        stored = self.row.secret_hash
        return bool(stored) and hmac.compare_digest(stored, _hash(client_secret or ""))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.row.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")
