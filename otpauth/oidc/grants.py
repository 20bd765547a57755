"""Authlib's grants, tightened through their public hooks.

- PKCE: S256 only (``plain`` refused) and required at *authorize* for public clients.
- Codes: made for and stored under the session (``GrantStore``), single use, 60 s,
  bound to client, redirect URI and the PKCE challenge.
- Refresh tokens: only for ``offline_access`` and a refresh lifetime > 0; rotated on use;
  a reused one revokes its family (audited ``oidc_refresh_reuse``).
- Every grant checks that the session is alive and the customer active.
"""

from __future__ import annotations

import time

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from flask import current_app

from ..signin import audit
from . import keys
from .claims import Grantee, user_info
from .records import StoredCode, StoredRefresh, grant_store, live_grantee
from .store import CODE_SECONDS, Grant, session_tag


class S256Challenge(CodeChallenge):
    """PKCE with S256 only, required at the authorization endpoint for public clients."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": CodeChallenge.CODE_CHALLENGE_METHODS["S256"]}

    def validate_code_challenge(self, grant, redirect_uri):  # noqa: ANN001, ANN201
        data = grant.request.payload.data
        if grant.request.client.row.public and not data.get("code_challenge"):
            raise InvalidRequestError("PKCE (code_challenge, S256) is required")
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        return super().validate_code_challenge(grant, redirect_uri)


class _Tokens:
    """Token strings that name their session and family (see ``GrantStore``)."""

    def generate_token(  # noqa: ANN201
        self,
        user: Grantee | None = None,
        scope: str | None = None,
        grant_type: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ):
        config = current_app.config
        include = (
            include_refresh_token
            and config["OIDC_REFRESH_TOKEN_SECONDS"] > 0
            and "offline_access" in (scope or "").split()
        )
        token = super().generate_token(  # type: ignore[misc]
            user=user,
            scope=scope,
            grant_type=grant_type,
            expires_in=expires_in,
            include_refresh_token=include,
        )
        origin: Grant = self.origin()
        store = grant_store()
        token["access_token"] = store.new_value(origin.sid, origin.family)
        if include:
            token["refresh_token"] = store.new_value(origin.sid, origin.family)
        else:
            token.pop("refresh_token", None)
        return token


class CodeGrant(_Tokens, grants.AuthorizationCodeGrant):
    """The authorization code grant, stored in Redis under the session."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def origin(self) -> Grant:
        return self.request.authorization_code.grant

    def generate_authorization_code(self) -> str:
        return grant_store().new_value(self.request.user.sid)

    def save_authorization_code(self, code, request):  # noqa: ANN001, ANN201
        user: Grantee = request.user
        data = request.payload.data
        fields = {
            "cid": request.client.get_client_id(),
            "uri": request.payload.redirect_uri or "",
            "scope": request.scope or "openid",
            "sid": user.sid,
            "uid": user.customer.id,
            "at": user.auth_time,
            "m": user.method,
            "nonce": data.get("nonce") or "",
            "ch": data.get("code_challenge") or "",
            "chm": data.get("code_challenge_method") or "",
        }
        grant_store().save("code", code, fields, CODE_SECONDS)

    def query_authorization_code(self, code, client):  # noqa: ANN001, ANN201
        taken = grant_store().take_code(code or "")
        if taken.grant is None or taken.grant.client_id != client.get_client_id():
            return None  # unknown, spent, expired, or another client's: gone either way
        return StoredCode(taken.grant)

    def delete_authorization_code(self, authorization_code):  # noqa: ANN001, ANN201
        """Nothing to do: ``query_authorization_code`` consumed it."""

    def authenticate_user(self, authorization_code):  # noqa: ANN001, ANN201
        return live_grantee(authorization_code.grant)


class RefreshGrant(_Tokens, grants.RefreshTokenGrant):
    """Refresh with rotation; the old token is spent atomically in ``authenticate``."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def origin(self) -> Grant:
        return self.request.refresh_token.grant

    def authenticate_refresh_token(self, refresh_token):  # noqa: ANN001, ANN201
        config = current_app.config
        taken = grant_store().rotate(refresh_token, config["OIDC_REFRESH_TOKEN_SECONDS"])
        if taken.status == "reuse" and taken.grant is not None:
            audit.record(
                "oidc_refresh_reuse", customer_id=taken.grant.user_id, reason=taken.grant.client_id
            )
        if taken.status != "ok" or taken.grant is None:
            return None
        return StoredRefresh(taken.grant)

    def authenticate_user(self, refresh_token):  # noqa: ANN001, ANN201
        grantee = live_grantee(refresh_token.grant)
        if grantee is None:
            raise InvalidGrantError("The session of this token has ended.")
        return grantee

    def revoke_old_credential(self, refresh_token):  # noqa: ANN001, ANN201
        """Nothing to do: ``authenticate_refresh_token`` spent it."""


class IdToken(OpenIDCode):
    """ID tokens signed with the current key; claims by scope, plus ``sid``."""

    def exists_nonce(self, nonce, request):  # noqa: ANN001, ANN201
        return False  # each code is single use, and its nonce goes only into its ID token

    def resolve_client_private_key(self, client):  # noqa: ANN001, ANN201
        return keys.current().key

    def get_client_algorithm(self, client):  # noqa: ANN001, ANN201
        return keys.current().alg

    def get_encode_header(self, client):  # noqa: ANN001, ANN201
        signing = keys.current()
        return {"alg": signing.alg, "kid": signing.kid, "typ": "JWT"}

    def get_client_claims(self, client):  # noqa: ANN001, ANN201
        config = current_app.config
        now = int(time.time())
        return {
            "iss": config["OIDC_ISSUER"],
            "aud": [client.get_client_id()],
            "iat": now,
            "exp": now + int(config["OIDC_ID_TOKEN_SECONDS"]),
        }

    def generate_user_info(self, user, scope):  # noqa: ANN001, ANN201
        info = user_info(user.customer, scope)
        info["sid"] = session_tag(user.sid)  # the session's tag, never its secret
        return info
