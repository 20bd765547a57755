"""Back-channel logout: a session that ends tells each client that got a token in it."""

from __future__ import annotations

import time

import jwt
import pytest

from tests.conftest import Auth, csrf_token
from tests.oidc_support import (
    ISSUER,
    authorize_url,
    code_from,
    exchange,
    forget_keys,
    register,
    sign_in,
)

pytest_plugins = ["tests.oidc_live"]
EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
def settings():
    return {"OIDC_ISSUER": ISSUER, "OTP_RESEND_COOLDOWN_SECONDS": 0}


@pytest.fixture(autouse=True)
def fresh_keys(app):
    forget_keys(app)


@pytest.fixture
def receiver(logout_receiver):
    return logout_receiver


def _tokens_for(app, client, auth, outbox, uri):  # noqa: ANN001, ANN202
    rp = register(app, backchannel_logout_uri=uri)
    sign_in(auth, outbox)
    body = exchange(client, rp, code_from(client.get(authorize_url(rp)))).get_json()
    return rp, body


def _notifier(app):  # noqa: ANN001, ANN202
    return app.extensions["otpauth.oidc.backchannel"]


def _check_logout_token(client, token: str, rp, id_token: str) -> None:  # noqa: ANN001
    jwks = jwt.PyJWKSet.from_dict(client.get("/oauth/jwks").get_json())
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "logout+jwt"
    key = next(k for k in jwks.keys if k.key_id == header["kid"])
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=rp.client_id, issuer=ISSUER)
    ours = jwt.decode(id_token, key.key, algorithms=["RS256"], audience=rp.client_id)
    assert claims["sid"] == ours["sid"] and claims["sub"] == ours["sub"]
    assert claims["events"] == {EVENT: {}} and "nonce" not in claims
    assert claims["jti"] and claims["iat"]


def test_logout_sends_a_signed_logout_token(app, client, auth, outbox, customer, receiver):
    from otpauth.signin import audit

    box, uri = receiver
    rp, body = _tokens_for(app, client, auth, outbox, uri)
    auth.logout()
    assert _notifier(app).wait_idle(10)
    assert len(box.tokens) == 1
    _check_logout_token(client, box.tokens[0], rp, body["id_token"])
    with app.app_context():
        sent = audit.recent(event="oidc_backchannel_logout_sent")
        assert [e.reason for e in sent] == [rp.client_id]


def test_signing_out_another_browser_notifies_its_clients(
    app, client, auth, outbox, customer, receiver
):
    box, uri = receiver
    rp, body = _tokens_for(app, client, auth, outbox, uri)
    other = app.test_client()
    sign_in(Auth(other), outbox)
    token = csrf_token(other, "/account/sessions/")
    assert (
        other.post("/account/sessions/revoke-others", data={"csrf_token": token}).status_code == 302
    )
    assert _notifier(app).wait_idle(10)
    assert len(box.tokens) == 1
    _check_logout_token(client, box.tokens[0], rp, body["id_token"])


def test_deactivation_notifies_and_a_session_without_tokens_sends_nothing(
    app, client, auth, outbox, customer, receiver
):
    from otpauth.platform.extensions import db
    from otpauth.signin.customers import deactivate
    from otpauth.signin.models import Customer

    box, uri = receiver
    register(app, backchannel_logout_uri=uri)
    sign_in(auth, outbox)
    auth.logout()  # no token was issued in this session
    assert _notifier(app).wait_idle(10) and box.tokens == []
    rp, body = _tokens_for(app, client, auth, outbox, uri)
    with app.app_context():
        deactivate(db.session.get(Customer, customer))
    assert _notifier(app).wait_idle(10)
    assert len(box.tokens) == 1
    _check_logout_token(client, box.tokens[0], rp, body["id_token"])


def test_a_failing_client_is_retried_then_audited(app, client, auth, outbox, customer, receiver):
    from otpauth.oidc.backchannel import ATTEMPTS
    from otpauth.signin import audit

    box, uri = receiver
    box.status = 503
    _notifier(app).backoff = (0.0,)
    rp, _ = _tokens_for(app, client, auth, outbox, uri)
    auth.logout()
    assert _notifier(app).wait_idle(10)
    assert len(box.tokens) == ATTEMPTS
    with app.app_context():
        failed = audit.recent(event="oidc_backchannel_logout_failed")
        assert [e.reason for e in failed] == [rp.client_id]


def test_a_session_that_idles_out_is_told_by_the_sweep(
    app, client, auth, outbox, customer, receiver, redis_client
):
    from otpauth.oidc.sweeper import sweep_once

    box, uri = receiver
    rp, body = _tokens_for(app, client, auth, outbox, uri)
    with app.app_context():
        assert sweep_once(_notifier(app), 30) == 0  # alive: looked at again later
        assert sweep_once(_notifier(app), 30, now=time.time() + 60) == 0
    for key in redis_client.keys("sess:*"):
        if not key.endswith(b":index"):
            redis_client.delete(key)  # what the idle TTL does
    with app.app_context():
        assert sweep_once(_notifier(app), 30, now=time.time() + 120) == 1
        assert sweep_once(_notifier(app), 30, now=time.time() + 240) == 0
    assert _notifier(app).wait_idle(10)
    assert len(box.tokens) == 1
    _check_logout_token(client, box.tokens[0], rp, body["id_token"])
