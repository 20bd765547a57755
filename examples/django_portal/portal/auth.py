"""The portal's side of otpauth sign-in: profile claims, logout URL, logout tokens."""

from __future__ import annotations

from urllib.parse import urlencode

import jwt
from django.conf import settings
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class OtpauthBackend(OIDCAuthenticationBackend):
    """Keeps the customer's name, customer type and otpauth session id in the session."""

    def verify_claims(self, claims: dict) -> bool:
        self.request.session["profile"] = {
            "name": claims.get("name", ""),
            "customer_type": claims.get("customer_type", ""),
        }
        return super().verify_claims(claims)

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict):  # noqa: ANN201
        self.request.session["otpauth_sid"] = payload.get("sid")
        return super().get_or_create_user(access_token, id_token, payload)


def provider_logout_url(request) -> str:  # noqa: ANN001
    """Where Django's logout sends the browser: otpauth's RP-initiated logout."""
    query = urlencode(
        {
            "id_token_hint": request.session.get("oidc_id_token", ""),
            "post_logout_redirect_uri": settings.PORTAL_URL + "/",
            "state": "signed-out",
        }
    )
    return f"{settings.OTPAUTH_ISSUER}/oauth/logout?{query}"


def read_logout_token(token: str) -> dict:
    """The claims of a valid Back-Channel Logout token from otpauth, else jwt raises."""
    key = jwt.PyJWKClient(settings.OIDC_OP_JWKS_ENDPOINT).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["RS256", "ES256"],
        audience=settings.OIDC_RP_CLIENT_ID,
        issuer=settings.OTPAUTH_ISSUER,
        options={"require": ["iat", "jti", "events"]},
    )
    if BACKCHANNEL_EVENT not in claims["events"] or "nonce" in claims or not claims.get("sid"):
        raise jwt.InvalidTokenError("not a logout token")
    return claims
