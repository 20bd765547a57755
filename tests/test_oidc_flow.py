"""The authorization code flow end to end, through the Flask test client."""

from __future__ import annotations

import pytest

from tests.conftest import code_in, csrf_token
from tests.oidc_support import (
    ISSUER,
    LOGOUT_REDIRECT,
    authorize_url,
    code_from,
    exchange,
    forget_keys,
    pkce,
    register,
    sign_in,
)


@pytest.fixture
def settings():
    return {"OIDC_ISSUER": ISSUER, "OTP_RESEND_COOLDOWN_SECONDS": 0}


@pytest.fixture(autouse=True)
def fresh_keys(app):
    forget_keys(app)


def test_discovery_names_every_endpoint_under_the_issuer(client):
    doc = client.get("/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == ISSUER
    assert doc["authorization_endpoint"] == ISSUER + "/oauth/authorize"
    assert doc["jwks_uri"] == ISSUER + "/oauth/jwks"
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["backchannel_logout_supported"] is True
    assert doc["backchannel_logout_session_supported"] is True


def test_jwks_publishes_a_public_rsa_key_only(client):
    keys = client.get("/oauth/jwks").get_json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256"
    assert "d" not in keys[0] and "p" not in keys[0]


def test_code_flow_for_a_confidential_client(app, client, auth, outbox, customer):
    rp = register(app)
    sign_in(auth, outbox)
    code = code_from(client.get(authorize_url(rp)))
    answer = exchange(client, rp, code)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["token_type"] == "Bearer" and "id_token" in body
    assert "refresh_token" not in body  # no offline_access asked
    info = client.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    ).get_json()
    assert info["name"] == "Asha Rao" and info["customer_type"] == "Household"
    assert info["email"] == "test@example.com" and info["email_verified"] is True
    assert info["phone_number"] == "+919876543210"
    assert info["sub"] and info["sub"] != str(customer)


def test_scope_openid_alone_releases_only_sub(app, client, auth, outbox, customer):
    rp = register(app)
    sign_in(auth, outbox)
    code = code_from(client.get(authorize_url(rp, scope="openid")))
    token = exchange(client, rp, code).get_json()["access_token"]
    info = client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert set(info) == {"sub"}


def test_a_visitor_not_signed_in_goes_through_the_sign_in_pages_and_back(
    app, client, auth, outbox, customer
):
    rp = register(app)
    url = authorize_url(rp)
    first = client.get(url)
    assert first.status_code == 302 and first.headers["Location"].startswith("/otp/request/")
    auth.request("test@example.com", "email", path=first.headers["Location"])
    back = auth.verify(code_in(outbox[-1]))
    assert back.headers["Location"].startswith("/oauth/authorize?")
    code_from(client.get(back.headers["Location"]))


def test_third_party_clients_ask_for_consent(app, client, auth, outbox, customer):
    rp = register(app, first_party=False)
    sign_in(auth, outbox)
    page = client.get(authorize_url(rp))
    assert page.status_code == 200 and b'value="allow"' in page.data

    token = csrf_token(client, authorize_url(rp))
    denied = client.post(authorize_url(rp), data={"csrf_token": token, "decision": "deny"})
    assert "error=access_denied" in denied.headers["Location"]
    allowed = client.post(authorize_url(rp), data={"csrf_token": token, "decision": "allow"})
    code_from(allowed)


def test_public_client_with_pkce_and_a_refresh_round_trip(app, client, auth, outbox, customer):
    rp = register(app, public=True)
    verifier, challenge = pkce()
    sign_in(auth, outbox)
    url = authorize_url(
        rp, scope="openid offline_access", code_challenge=challenge, code_challenge_method="S256"
    )
    body = exchange(client, rp, code_from(client.get(url)), verifier).get_json()
    assert body["refresh_token"]
    again = client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_id": rp.client_id,
        },
    )
    assert again.status_code == 200, again.get_data(as_text=True)
    fresh = again.get_json()
    assert fresh["refresh_token"] != body["refresh_token"]
    info = client.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {fresh['access_token']}"}
    )
    assert info.status_code == 200


def test_revoked_access_token_stops_working(app, client, auth, outbox, customer):
    rp = register(app)
    sign_in(auth, outbox)
    body = exchange(client, rp, code_from(client.get(authorize_url(rp)))).get_json()
    answer = client.post(
        "/oauth/revoke",
        data={"token": body["access_token"], "client_id": rp.client_id, "client_secret": rp.secret},
    )
    assert answer.status_code == 200
    info = client.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert info.status_code == 401


def _id_token(app, client, auth, outbox) -> tuple:  # noqa: ANN001
    rp = register(app)
    sign_in(auth, outbox)
    body = exchange(client, rp, code_from(client.get(authorize_url(rp)))).get_json()
    return rp, body["id_token"]


def test_logout_with_a_hint_naming_this_session_ends_it_at_once(
    app, client, auth, outbox, customer
):
    rp, id_token = _id_token(app, client, auth, outbox)
    answer = client.get(
        "/oauth/logout",
        query_string={
            "id_token_hint": id_token,
            "post_logout_redirect_uri": LOGOUT_REDIRECT,
            "state": "bye",
        },
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == LOGOUT_REDIRECT + "?state=bye"
    assert client.get("/dashboard/").status_code == 302  # signed out


def test_logout_without_a_hint_asks_first(app, client, auth, outbox, customer):
    rp, _ = _id_token(app, client, auth, outbox)
    query = {"client_id": rp.client_id, "post_logout_redirect_uri": LOGOUT_REDIRECT}
    page = client.get("/oauth/logout", query_string=query)
    assert page.status_code == 200 and client.get("/dashboard/").status_code == 200
    token = csrf_token(client, "/oauth/logout?client_id=" + rp.client_id)
    done = client.post("/oauth/logout", data={**query, "csrf_token": token})
    assert done.headers["Location"] == LOGOUT_REDIRECT
    assert client.get("/dashboard/").status_code == 302


def test_logout_to_an_unregistered_uri_gets_our_page(app, client, auth, outbox, customer):
    rp, id_token = _id_token(app, client, auth, outbox)
    for uri in ("https://evil.example/", LOGOUT_REDIRECT + "x"):
        query = {"id_token_hint": id_token, "post_logout_redirect_uri": uri}
        answer = client.get("/oauth/logout", query_string=query)
        assert answer.status_code == 400 and "Location" not in answer.headers
    assert client.get("/dashboard/").status_code == 200  # still signed in


def test_a_relying_partys_post_with_a_hint_naming_this_session_ends_it(
    app, client, auth, outbox, customer
):
    """RP-Initiated Logout lets the relying party POST its form from its own origin."""
    rp, id_token = _id_token(app, client, auth, outbox)
    answer = client.post(
        "/oauth/logout",
        data={"id_token_hint": id_token, "post_logout_redirect_uri": LOGOUT_REDIRECT},
        headers={"Origin": "https://portal.example"},
    )
    assert answer.status_code == 302 and answer.headers["Location"] == LOGOUT_REDIRECT
    assert client.get("/dashboard/").status_code == 302


def test_a_foreign_post_without_a_hint_only_asks(app, client, auth, outbox, customer):
    rp, _ = _id_token(app, client, auth, outbox)
    answer = client.post(
        "/oauth/logout",
        data={"client_id": rp.client_id, "post_logout_redirect_uri": LOGOUT_REDIRECT},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 200  # the confirmation page, nothing ended
    assert client.get("/dashboard/").status_code == 200
