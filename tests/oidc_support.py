"""Helpers for the OpenID Provider tests: clients, a signed-in customer, the code flow."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.conftest import code_in

ISSUER = "http://localhost"
REDIRECT = "http://127.0.0.1:9/callback"
LOGOUT_REDIRECT = "http://127.0.0.1:9/signed-out"


@dataclass
class Registered:
    client_id: str
    secret: str | None


def register(app, *, public: bool = False, first_party: bool = True, **extra) -> Registered:  # noqa: ANN001, ANN003
    """A client registered as ops would (``oidc.clients.create``)."""
    from otpauth.oidc import clients
    from otpauth.platform.extensions import db

    with app.app_context():
        created = clients.create(
            "Billing portal",
            [REDIRECT],
            post_logout_uris=[LOGOUT_REDIRECT],
            public=public,
            first_party=first_party,
            **extra,
        )
        db.session.commit()
        return Registered(created.client.client_id, created.secret)


def pkce() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_in(auth, outbox) -> None:  # noqa: ANN001
    """Sign the demo customer in by e-mail code."""
    auth.request("test@example.com", "email")
    response = auth.verify(code_in(outbox[-1]))
    assert response.status_code == 302


def authorize_url(client: Registered, **params: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile email phone",
        "state": "st-1",
        "nonce": "n-1",
        **params,
    }
    return "/oauth/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})


def code_from(response) -> str:  # noqa: ANN001
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?"), location
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def exchange(http, client: Registered, code: str, verifier: str | None = None, **extra):  # noqa: ANN001, ANN003
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra}
    if verifier:
        data["code_verifier"] = verifier
    if client.secret:
        basic = base64.b64encode(f"{client.client_id}:{client.secret}".encode()).decode()
        return http.post("/oauth/token", data=data, headers={"Authorization": f"Basic {basic}"})
    data["client_id"] = client.client_id
    return http.post("/oauth/token", data=data)


def forget_keys(app) -> None:  # noqa: ANN001
    """Drop the signing keys an earlier test's app made (under its own SECRET_KEY)."""
    from otpauth.oidc.models import OidcKey
    from otpauth.platform.extensions import db

    with app.app_context():
        db.session.query(OidcKey).delete()
        db.session.commit()
