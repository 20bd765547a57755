"""What codes and tokens read back from Redis stand for, and whether they still hold."""

from __future__ import annotations

from authlib.oidc.core import AuthorizationCodeMixin
from flask import current_app

from ..platform.extensions import db
from ..signin.models import Customer
from ..signin.sessions import session_store
from .claims import ACR, AMR, Grantee
from .store import Grant, GrantStore

STORE = "otpauth.oidc.store"


def grant_store() -> GrantStore:
    """The current app's GrantStore."""
    return current_app.extensions[STORE]


class StoredCode(AuthorizationCodeMixin):
    """An authorization code as read back (consumed) from Redis."""

    def __init__(self, grant: Grant) -> None:
        self.grant = grant
        self.code_challenge = grant.fields.get("ch") or None
        self.code_challenge_method = grant.fields.get("chm") or None

    def get_redirect_uri(self) -> str:
        return self.grant.fields.get("uri", "")

    def get_scope(self) -> str:
        return self.grant.scope

    def get_nonce(self) -> str | None:
        return self.grant.fields.get("nonce") or None

    def get_auth_time(self) -> int:
        return int(self.grant.fields.get("at", "0"))

    def get_acr(self) -> str:
        return ACR

    def get_amr(self) -> list[str]:
        return AMR.get(self.grant.fields.get("m", ""), ["otp"])


def live_grantee(grant: Grant) -> Grantee | None:
    """The grant's customer and session, if both are still good."""
    store = session_store()
    if not grant.sid or not store.alive(grant.sid):
        return None
    customer = db.session.get(Customer, grant.user_id)
    if customer is None or not customer.active:
        store.revoke_all("customer", grant.user_id)  # deactivated: every session ends
        return None
    return Grantee(customer, grant.sid, int(grant.fields.get("at", "0")), grant.fields.get("m", ""))


class StoredRefresh:
    """A refresh token as read back from Redis."""

    def __init__(self, grant: Grant) -> None:
        self.grant = grant

    def check_client(self, client) -> bool:  # noqa: ANN001
        return client.get_client_id() == self.grant.client_id

    def get_scope(self) -> str:
        return self.grant.scope
