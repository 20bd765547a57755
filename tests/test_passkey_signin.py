"""Sign-in with a passkey (``/passkey/options``, ``/passkey/verify``): the good path and
every refusal the contract names, each answered with the same 400 and text."""

from __future__ import annotations

import base64
import json

import pytest

from tests.passkey_support import (
    ORIGIN,
    SETTINGS,
    page_csrf,
    passkey_sign_in,
    post_json,
    register,
    sign_in_by_code,
    signin_options,
)
from tests.soft_authenticator import b64url

FAILED = "That passkey did not work. Try again, or sign in with a code."


@pytest.fixture
def settings() -> dict:
    return dict(SETTINGS)


@pytest.fixture
def credential(client, auth, outbox, customer):
    """A passkey registered after a code sign-in; the browser then signs out."""
    sign_in_by_code(auth, outbox)
    made, response = register(client)
    assert response.status_code == 201
    auth.logout()
    return made


def _events(app, name: str) -> list:
    from otpauth.platform.extensions import db
    from otpauth.signin.models import AuthEvent

    with app.app_context():
        return db.session.query(AuthEvent).filter_by(event=name).all()


def _refused(response) -> None:
    assert response.status_code == 400
    assert response.get_json() == {"error": FAILED}


def test_options_are_discoverable_and_ask_for_user_verification(client):
    options = signin_options(client)
    assert options["rpId"] == "localhost"
    assert options["userVerification"] == "required"
    assert options.get("allowCredentials", []) == []
    assert len(base64.urlsafe_b64decode(options["challenge"] + "==")) >= 16


def test_a_passkey_signs_in_like_a_code(app, client, credential, customer):
    response = passkey_sign_in(client, credential)
    assert response.status_code == 200
    assert response.get_json() == {"redirect": "/dashboard/"}
    assert client.get("/dashboard/").status_code == 200
    [event] = _events(app, "passkey_login")
    assert event.customer_id == customer


def test_a_safe_next_is_kept_and_an_unsafe_one_dropped(client, credential):
    options = signin_options(client)
    token = page_csrf(client, "/otp/request/")
    good = post_json(
        client,
        "/passkey/verify?next=/account/sessions/",
        credential.assert_(options, ORIGIN),
        token,
    )
    assert good.get_json() == {"redirect": "/account/sessions/"}
    client.post("/otp/logout/", data={"csrf_token": page_csrf(client, "/dashboard/")})
    options = signin_options(client)
    token = page_csrf(client, "/otp/request/")
    bad = post_json(
        client, "/passkey/verify?next=//evil.example/", credential.assert_(options, ORIGIN), token
    )
    assert bad.get_json() == {"redirect": "/dashboard/"}


def test_a_replayed_assertion_is_refused(client, credential):
    options = signin_options(client)
    token = page_csrf(client, "/otp/request/")
    body = credential.assert_(options, ORIGIN)
    assert post_json(client, "/passkey/verify", body, token).status_code == 200
    client.post("/otp/logout/", data={"csrf_token": page_csrf(client, "/dashboard/")})
    _refused(post_json(client, "/passkey/verify", body, page_csrf(client, "/otp/request/")))


@pytest.mark.parametrize(
    "bend",
    [
        {"origin": "http://evil.example"},
        {"origin": "https://localhost:5000"},
        {"rp_id": "evil.example"},
        {"uv": False},
        {"challenge": b64url(b"a challenge this app never gave out")},
    ],
    ids=[
        "other-origin",
        "other-scheme",
        "wrong-rp-id",
        "no-user-verification",
        "foreign-challenge",
    ],
)
def test_each_bent_assertion_is_refused_and_audited(app, client, credential, bend):
    bend = dict(bend)  # one dict serves both backends' runs: leave it whole
    origin = bend.pop("origin", ORIGIN)
    _refused(passkey_sign_in(client, credential, origin, **bend))
    assert client.get("/dashboard/").status_code == 302
    assert _events(app, "passkey_login_failed")


def test_one_challenge_signs_in_once(client, credential):
    options = signin_options(client)
    token = page_csrf(client, "/otp/request/")
    first = credential.assert_(options, ORIGIN)
    second = credential.assert_(options, ORIGIN)  # a new signature, the same challenge
    assert post_json(client, "/passkey/verify", first, token).status_code == 200
    client.post("/otp/logout/", data={"csrf_token": page_csrf(client, "/dashboard/")})
    _refused(post_json(client, "/passkey/verify", second, page_csrf(client, "/otp/request/")))


def test_an_expired_challenge_is_refused(app, client, credential, redis_client):
    options = signin_options(client)
    [key] = [k for k in redis_client.scan_iter("wa:*")]
    assert 295 <= redis_client.ttl(key) <= 300  # five minutes, then Redis drops it
    redis_client.delete(key)  # what Redis does when the five minutes are up
    _refused(
        post_json(
            client,
            "/passkey/verify",
            credential.assert_(options, ORIGIN),
            page_csrf(client, "/otp/request/"),
        )
    )


def test_a_sign_count_going_down_is_a_clone_refused_and_audited(app, client, credential, customer):
    assert passkey_sign_in(client, credential, count=5).status_code == 200
    client.post("/otp/logout/", data={"csrf_token": page_csrf(client, "/dashboard/")})
    _refused(passkey_sign_in(client, credential, count=3))
    [event] = _events(app, "passkey_login_failed")
    assert (event.reason, event.customer_id) == ("clone", customer)


def test_a_count_that_stays_zero_is_accepted(client, credential):
    assert passkey_sign_in(client, credential, count=0).status_code == 200
    client.post("/otp/logout/", data={"csrf_token": page_csrf(client, "/dashboard/")})
    assert passkey_sign_in(client, credential, count=0).status_code == 200


def test_another_customers_handle_is_refused(app, client, credential):
    _refused(passkey_sign_in(client, credential, user_handle=b"someone else" * 5))
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not json",
        "[]",
        "null",
        '{"id": 1}',
        json.dumps({"id": "x", "rawId": "x", "type": "public-key", "response": {}}),
        json.dumps(
            {
                "id": "AA",
                "rawId": "AA",
                "type": "public-key",
                "response": {
                    "clientDataJSON": "!!!",
                    "authenticatorData": "AA",
                    "signature": "AA",
                },
            }
        ),
        "\udcff",
    ],
)
def test_malformed_bodies_get_400_never_500(client, body):
    signin_options(client)
    token = page_csrf(client, "/otp/request/")
    _refused(post_json(client, "/passkey/verify", body.encode("utf-8", "surrogateescape"), token))


class TestPerIpLimits:
    @pytest.fixture
    def settings(self) -> dict:
        return {**SETTINGS, "RATELIMIT_ENABLED": True, "RATELIMIT_OTP_VERIFY": "3 per minute"}

    def test_failed_verifies_count_against_the_per_ip_limit(self, client):
        token = page_csrf(client, "/otp/request/")
        answers = [post_json(client, "/passkey/verify", "{}", token).status_code for _ in range(4)]
        assert answers == [400, 400, 400, 429]
