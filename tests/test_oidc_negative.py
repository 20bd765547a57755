"""What the provider refuses: each case answers an RFC 6749 error or our 400 page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from tests.oidc_support import (
    ISSUER,
    REDIRECT,
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


@pytest.fixture
def rp(app):
    return register(app)


@pytest.fixture
def signed_in(auth, outbox, customer):
    sign_in(auth, outbox)
    return customer


@pytest.mark.parametrize(
    "uri",
    [
        "https://evil.example/callback",
        REDIRECT + "/",
        REDIRECT + "?x=1",
        'http://127.0.0.1:9/call"back',
        "http://127.0.0.1:9/call\x00back",
        "http://127.0.0.1:9/callbäck",
    ],
)
def test_a_wrong_redirect_uri_gets_our_page_never_a_redirect(
    app, client, rp, uri, auth, outbox, customer
):
    for signed_in_now in (False, True):
        if signed_in_now:
            sign_in(auth, outbox)
        answer = client.get(authorize_url(rp, redirect_uri=uri))
        assert answer.status_code == 400 and "Location" not in answer.headers
        assert b"not registered" in answer.data


def test_unknown_client_and_missing_redirect_uri_get_our_page(client, rp, signed_in):
    assert client.get(authorize_url(rp, client_id="nobody")).status_code == 400
    assert client.get(authorize_url(rp, redirect_uri=None)).status_code == 400
    doubled = authorize_url(rp) + "&redirect_uri=" + REDIRECT
    assert client.get(doubled).status_code == 400


def test_odd_characters_elsewhere_are_a_4xx_not_a_500(client, rp, signed_in):
    for params in ({"scope": 'openid "x'}, {"response_type": "tok\x00en"}, {"state": "é"}):
        answer = client.get(authorize_url(rp, **params))
        assert answer.status_code in (302, 400), params
    bad = client.post("/oauth/token", data={"grant_type": 'a"b', "client_id": "x\x00"})
    assert bad.status_code in (400, 401)


def test_a_public_client_must_send_an_s256_challenge_at_authorize(app, client, signed_in):
    public = register(app, public=True)
    _, challenge = pkce()
    missing = client.get(authorize_url(public))
    assert "error=invalid_request" in missing.headers["Location"]
    plain = client.get(
        authorize_url(public, code_challenge=challenge, code_challenge_method="plain")
    )
    assert "error=invalid_request" in plain.headers["Location"]
    implicit_plain = client.get(authorize_url(public, code_challenge=challenge))
    assert "error=invalid_request" in implicit_plain.headers["Location"]


@pytest.mark.parametrize("verifier", [None, "x" * 50])
def test_missing_or_wrong_verifier_is_refused(app, client, signed_in, verifier):
    public = register(app, public=True)
    _, challenge = pkce()
    url = authorize_url(public, code_challenge=challenge, code_challenge_method="S256")
    answer = exchange(client, public, code_from(client.get(url)), verifier)
    assert answer.status_code == 400
    assert answer.get_json()["error"] in ("invalid_request", "invalid_grant")


def test_a_replayed_code_fails_and_kills_what_it_bought(client, rp, signed_in):
    code = code_from(client.get(authorize_url(rp)))
    first = exchange(client, rp, code).get_json()
    again = exchange(client, rp, code)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    info = client.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert info.status_code == 401


def test_an_expired_code_fails(client, rp, signed_in, redis_client):
    code = code_from(client.get(authorize_url(rp)))
    keys = [k for k in redis_client.keys("oidc:*:code:*")]
    assert len(keys) == 1 and 0 < redis_client.ttl(keys[0]) <= 60
    redis_client.delete(keys[0])  # what its 60-second expiry does
    assert exchange(client, rp, code).get_json()["error"] == "invalid_grant"


def test_a_code_cannot_be_used_by_another_client(app, client, rp, signed_in):
    other = register(app)
    code = code_from(client.get(authorize_url(rp)))
    assert exchange(client, other, code).get_json()["error"] == "invalid_grant"
    assert exchange(client, rp, code).get_json()["error"] == "invalid_grant"  # and it is spent


def test_a_wrong_redirect_uri_at_the_token_endpoint_fails(client, rp, signed_in):
    code = code_from(client.get(authorize_url(rp)))
    answer = exchange(client, rp, code, redirect_uri=REDIRECT + "x")
    assert answer.get_json()["error"] == "invalid_grant"


def test_a_wrong_secret_fails(client, rp, signed_in):
    code = code_from(client.get(authorize_url(rp)))
    rp.secret = "not-the-secret"
    assert exchange(client, rp, code).status_code == 401


def _refresh(client, public, token):  # noqa: ANN001
    data = {"grant_type": "refresh_token", "refresh_token": token, "client_id": public.client_id}
    return client.post("/oauth/token", data=data)


def test_a_refresh_token_reused_after_rotation_revokes_the_family(app, client, signed_in):
    from otpauth.signin import audit

    public = register(app, public=True)
    verifier, challenge = pkce()
    url = authorize_url(
        public, scope="openid offline_access", code_challenge=challenge,
        code_challenge_method="S256",
    )  # fmt: skip
    first = exchange(client, public, code_from(client.get(url)), verifier).get_json()
    second = _refresh(client, public, first["refresh_token"]).get_json()
    reuse = _refresh(client, public, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.get_json()["error"] == "invalid_grant"
    assert _refresh(client, public, second["refresh_token"]).status_code == 400
    info = client.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {second['access_token']}"}
    )
    assert info.status_code == 401
    with app.app_context():
        assert [e.reason for e in audit.recent(event="oidc_refresh_reuse")] == [public.client_id]


def test_tokens_die_when_the_customer_is_deactivated(app, client, signed_in):
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    public = register(app, public=True)
    verifier, challenge = pkce()
    url = authorize_url(
        public, scope="openid offline_access", code_challenge=challenge,
        code_challenge_method="S256",
    )  # fmt: skip
    body = exchange(client, public, code_from(client.get(url)), verifier).get_json()
    with app.app_context():
        db.session.get(Customer, signed_in).active = False
        db.session.commit()
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/oauth/userinfo", headers=bearer).status_code == 401
    assert _refresh(client, public, body["refresh_token"]).status_code == 400


def test_tokens_die_when_the_session_ends(client, rp, auth, signed_in):
    body = exchange(client, rp, code_from(client.get(authorize_url(rp)))).get_json()
    auth.logout()
    info = client.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert info.status_code == 401


def test_prompt_login_sends_a_signed_in_customer_to_sign_in_again(client, rp, signed_in):
    answer = client.get(authorize_url(rp, prompt="login"))
    assert answer.headers["Location"].startswith("/otp/request/?next=")
    assert "prompt" not in answer.headers["Location"]  # met by the sign-in it leads to


def test_max_age_older_than_the_sign_in_sends_to_sign_in(app, client, rp, auth, outbox, customer):
    from otpauth.signin.sessions import session_store

    with app.app_context():
        store = session_store()
    store.clock = lambda: time.time() - 1000  # the session started 1000 s ago
    sign_in(auth, outbox)
    store.clock = time.time
    stale = client.get(authorize_url(rp, max_age="600"))
    assert stale.headers["Location"].startswith("/otp/request/?next=")
    code_from(client.get(authorize_url(rp, max_age="5000")))


def test_prompt_none_without_a_session_answers_login_required(client, rp):
    answer = client.get(authorize_url(rp, prompt="none"))
    assert "error=login_required" in answer.headers["Location"]


def _b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(client_id: str) -> dict:
    return {"iss": ISSUER, "aud": client_id, "sub": "x", "sid": "0" * 20, "exp": 4102444800}


def test_forged_logout_hints_are_refused(app, client, rp, signed_in):
    import jwt as pyjwt
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    jwks = client.get("/oauth/jwks").get_json()
    kid = jwks["keys"][0]["kid"]
    none = f"{_b64({'alg': 'none', 'kid': kid})}.{_b64(_claims(rp.client_id))}."
    public_pem = pyjwt.PyJWK(jwks["keys"][0]).key.public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64({"alg": "HS256", "kid": kid, "typ": "JWT"})
    body = _b64(_claims(rp.client_id))
    mac = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    confused = f"{header}.{body}.{_b64(mac)}"
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    foreign = pyjwt.encode(_claims(rp.client_id), stranger, algorithm="RS256", headers={"kid": kid})
    for hint in (none, confused, foreign, "garbage", "a.b.c"):
        answer = client.get("/oauth/logout", query_string={"id_token_hint": hint})
        assert answer.status_code == 400, hint
    assert client.get("/dashboard/").status_code == 200  # still signed in


def test_a_deleted_clients_tokens_stop_at_once(app, client, rp, runner, signed_in):
    body = exchange(client, rp, code_from(client.get(authorize_url(rp)))).get_json()
    assert runner.invoke(args=["oidc", "clients", "delete", rp.client_id]).exit_code == 0
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/oauth/userinfo", headers=bearer).status_code == 401
