"""Authlib's Flask client (examples/flask_portal) signs in through a live otpauth."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from examples.flask_portal.portal import create_portal

if TYPE_CHECKING:
    from tests.oidc_live import OidcServer

pytest_plugins = ["tests.oidc_live"]
CALLBACK = "http://localhost/callback"  # the portal's test client is http://localhost


def _portal_signed_in(oidc_server: OidcServer, sign_in_over_http):  # noqa: ANN001, ANN202
    client_id, secret = oidc_server.register([CALLBACK], public=True, first_party=True)
    assert secret is None
    portal = create_portal(oidc_server.url, client_id).test_client()
    start = portal.get("/login")
    assert start.status_code == 302
    authorize = start.headers["Location"]
    assert "code_challenge=" in authorize and "code_challenge_method=S256" in authorize
    callback = sign_in_over_http(requests.Session(), oidc_server, authorize)
    assert callback.startswith(CALLBACK + "?code=")
    landed = portal.get(callback.removeprefix("http://localhost"))
    assert landed.status_code == 302, landed.get_data(as_text=True)
    return portal


def test_the_flask_portal_signs_in_and_refreshes(oidc_server, http_sign_in):
    portal = _portal_signed_in(oidc_server, http_sign_in)
    assert "Hello Asha Rao (Household)" in portal.get("/").get_data(as_text=True)
    refreshed = portal.post("/refresh")
    assert refreshed.status_code == 200, refreshed.get_data(as_text=True)
    assert refreshed.get_json()["name"] == "Asha Rao"
    assert portal.post("/refresh").status_code == 200  # the rotated token works in turn


def test_the_flask_portal_sees_reuse_detection(oidc_server, http_sign_in):
    portal = _portal_signed_in(oidc_server, http_sign_in)
    with portal.session_transaction() as state:
        stolen = state["refresh_token"]
    assert portal.post("/refresh").status_code == 200  # the owner rotates it
    with portal.session_transaction() as state:
        rotated = state["refresh_token"]
        state["refresh_token"] = stolen  # a thief replays the old one
    answer = portal.post("/refresh")
    assert answer.status_code == 401 and answer.get_json()["error"] == "invalid_grant"
    with portal.session_transaction() as state:
        state["refresh_token"] = rotated  # the family is gone: the owner is out too
        state["user"] = {"name": "x", "customer_type": "y"}
    assert portal.post("/refresh").status_code == 401


def test_id_token_and_jwks_check_out_with_pyjwt(oidc_server, http_sign_in):
    """PyJWT (not Authlib, not joserfc) checks signature, iss, aud, exp, nonce, at_hash."""
    client_id, secret = oidc_server.register(["http://127.0.0.1:9/cb"], first_party=True)
    nonce = secrets.token_urlsafe(16)
    query = {
        "response_type": "code", "client_id": client_id, "redirect_uri": "http://127.0.0.1:9/cb",
        "scope": "openid profile", "state": "s", "nonce": nonce,
    }  # fmt: skip
    callback = http_sign_in(
        requests.Session(), oidc_server, oidc_server.url + "/oauth/authorize?" + urlencode(query)
    )
    code = parse_qs(urlsplit(callback).query)["code"][0]
    token = requests.post(
        oidc_server.url + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": query["redirect_uri"],
        },
        auth=(client_id, secret),
        timeout=10,
    ).json()
    signing_key = jwt.PyJWKClient(oidc_server.url + "/oauth/jwks").get_signing_key_from_jwt(
        token["id_token"]
    )
    claims = jwt.decode(
        token["id_token"],
        signing_key.key,
        algorithms=["RS256"],
        audience=client_id,
        issuer=oidc_server.url,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
    assert claims["nonce"] == nonce
    digest = hashlib.sha256(token["access_token"].encode()).digest()
    at_hash = base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert claims["at_hash"] == at_hash
    assert claims["amr"] == ["otp", "email"] and claims["sid"] and claims["auth_time"]
    assert claims["name"] == "Asha Rao" and "email" not in claims
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token["id_token"], signing_key.key, algorithms=["RS256"], audience="other")
