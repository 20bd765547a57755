"""The Authlib authorization server: grants, token storage, revocation and userinfo."""

from __future__ import annotations

import time
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oidc.core import UserInfoEndpoint
from flask import Flask, current_app

from ..signin import audit
from . import clients
from .claims import Grantee, user_info
from .grants import CodeGrant, IdToken, RefreshGrant, S256Challenge
from .records import grant_store, live_grantee
from .store import Grant

SERVER = "otpauth.oidc.server"


def query_client(client_id: str) -> clients.AuthlibClient | None:
    """Authlib's client lookup."""
    row = clients.find(client_id)
    return clients.AuthlibClient(row) if row is not None else None


def save_token(token: dict[str, Any], request: Any) -> None:
    """Store the issued tokens (hashed) and remember the client in the session."""
    origin: Grant = (request.authorization_code or request.refresh_token).grant
    config = current_app.config
    fields = {k: origin.fields.get(k, "") for k in ("cid", "sid", "uid", "at", "m")}
    fields["scope"] = token.get("scope", origin.scope)
    store = grant_store()
    store.save("at", token["access_token"], fields, config["OIDC_ACCESS_TOKEN_SECONDS"])
    if token.get("refresh_token"):
        store.save("rt", token["refresh_token"], fields, config["OIDC_REFRESH_TOKEN_SECONDS"])
    store.add_client(
        origin.sid,
        origin.client_id,
        config["SESSION_LIFETIME_SECONDS"],
        time.time() + config["OIDC_SWEEP_SECONDS"],
    )
    audit.record("oidc_token_issued", customer_id=origin.user_id, reason=origin.client_id)
    clients.touch(request.client.row)


class StoredToken:
    """An access or refresh token read back from Redis (Authlib's TokenMixin)."""

    def __init__(self, kind: str, value: str, grant: Grant, grantee: Grantee | None) -> None:
        self.kind, self.value, self.grant, self.grantee = kind, value, grant, grantee
        self.scope = grant.scope

    def check_client(self, client: Any) -> bool:
        return client.get_client_id() == self.grant.client_id

    def get_scope(self) -> str:
        return self.grant.scope

    def get_client(self) -> clients.AuthlibClient | None:
        return query_client(self.grant.client_id)

    def get_user(self) -> Grantee | None:
        return self.grantee

    def is_expired(self) -> bool:
        return False  # Redis forgot it when it expired

    def is_revoked(self) -> bool:
        return self.grantee is None  # session ended or customer deactivated


def find_token(value: str, hint: str | None = None) -> StoredToken | None:
    """A live access or refresh token by its string."""
    kinds = ("rt", "at") if hint == "refresh_token" else ("at", "rt")
    for kind in kinds:
        grant = grant_store().lookup(kind, value)
        if grant is not None:
            return StoredToken(kind, value, grant, live_grantee(grant))
    return None


class Revocation(RevocationEndpoint):
    """RFC 7009: an access token is forgotten; a refresh token takes its family along."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return find_token(token_string, token_type_hint)

    def revoke_token(self, token: StoredToken, request: Any) -> None:
        if token.kind == "rt":
            ttl = current_app.config["OIDC_REFRESH_TOKEN_SECONDS"]
            grant_store().revoke_family(token.value, ttl)
        else:
            grant_store().delete("at", token.value)


class AccessTokens(BearerTokenValidator):
    """Bearer access tokens at the userinfo endpoint."""

    def authenticate_token(self, token_string: str) -> StoredToken | None:
        grant = grant_store().lookup("at", token_string or "")
        if grant is None or clients.find(grant.client_id) is None:  # a deleted client's too
            return None
        return StoredToken("at", token_string, grant, live_grantee(grant))


class UserInfo(UserInfoEndpoint):
    """Claims for the access token's scopes."""

    def generate_user_info(self, user: Grantee, scope: str) -> Any:
        return user_info(user.customer, scope)

    def get_issuer(self) -> str:
        return current_app.config["OIDC_ISSUER"]


def build(app: Flask) -> AuthorizationServer:
    """The app's authorization server with our grants and endpoints."""
    server = AuthorizationServer()
    server.init_app(app, query_client=query_client, save_token=save_token)
    server.register_grant(CodeGrant, [S256Challenge(required=True), IdToken(require_nonce=False)])
    server.register_grant(RefreshGrant)
    server.register_endpoint(Revocation)
    protector = ResourceProtector()
    protector.register_token_validator(AccessTokens())
    server.register_endpoint(UserInfo(resource_protector=protector))
    app.extensions[SERVER] = server
    return server


def authorization_server() -> AuthorizationServer:
    """The current app's authorization server."""
    return current_app.extensions[SERVER]
