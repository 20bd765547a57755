"""Adding a passkey (``/account/passkeys/options`` and ``POST /account/passkeys/``), and
managing them: list, rename, remove (after a recent sign-in), notices, audit."""

from __future__ import annotations

import base64

import pytest

from tests.conftest import code_in
from tests.passkey_support import (
    ORIGIN,
    SETTINGS,
    page_csrf,
    post_json,
    register,
    sign_in_by_code,
)
from tests.soft_authenticator import for_options


@pytest.fixture
def settings() -> dict:
    return dict(SETTINGS)


@pytest.fixture
def signed_in(client, auth, outbox, customer):
    sign_in_by_code(auth, outbox)
    outbox.clear()
    return customer


def _rows(app) -> list:
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Passkey

    with app.app_context():
        return db.session.query(Passkey).order_by(Passkey.id).all()


def test_options_ask_for_a_discoverable_verified_credential(client, signed_in):
    token = page_csrf(client, "/account/passkeys/")
    options = post_json(client, "/account/passkeys/options", {}, token).get_json()
    assert options["rp"] == {"id": "localhost", "name": "Waste Billing"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"
    handle = base64.urlsafe_b64decode(options["user"]["id"] + "==")
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    with client.application.app_context():
        stored = db.session.get(Customer, signed_in).webauthn_user_handle
    assert len(handle) == 64 and handle == stored  # random, kept: never the id or a contact
    assert options["user"]["name"] == "test@example.com"


def test_registration_stores_the_passkey_audits_and_tells_the_customer(
    app, client, signed_in, outbox, sms
):
    made, response = register(client)
    assert response.status_code == 201
    [row] = _rows(app)
    assert (row.owner_kind, row.owner_id) == ("customer", signed_in)
    assert row.credential_id == made.id and row.transports == "internal"
    assert row.sign_count == 0 and row.public_key
    assert response.get_json() == {"id": row.id, "name": row.name}
    assert any(row.name in m.text for m in outbox) and len(sms) == 1
    page = client.get("/account/passkeys/").get_data(as_text=True)
    assert row.name in page


def test_a_second_registration_excludes_the_first(client, signed_in):
    made, _ = register(client)
    token = page_csrf(client, "/account/passkeys/")
    options = post_json(client, "/account/passkeys/options", {}, token).get_json()
    assert [c["id"] for c in options["excludeCredentials"]] == [made.id]


@pytest.mark.parametrize(
    "bend",
    [{"origin": "http://evil.example"}, {"rp_id": "evil.example"}, {"uv": False}],
    ids=["wrong-origin", "wrong-rp-id", "no-user-verification"],
)
def test_a_bent_registration_stores_nothing(app, client, signed_in, bend):
    bend = dict(bend)  # one dict serves both backends' runs: leave it whole
    origin = bend.pop("origin", ORIGIN)
    _, response = register(client, origin, **bend)
    assert response.status_code == 400 and "error" in response.get_json()
    assert _rows(app) == []


def test_a_creation_challenge_works_once(app, client, signed_in):
    token = page_csrf(client, "/account/passkeys/")
    options = post_json(client, "/account/passkeys/options", {}, token).get_json()
    first = for_options(options)
    assert (
        post_json(client, "/account/passkeys/", first.register(options, ORIGIN), token).status_code
        == 201
    )
    second = for_options(options)
    again = post_json(client, "/account/passkeys/", second.register(options, ORIGIN), token)
    assert again.status_code == 400 and len(_rows(app)) == 1


def test_a_credential_id_belongs_to_one_account(app, client, auth, outbox, signed_in):
    made, _ = register(client)
    auth.logout()
    with app.app_context():
        from otpauth.platform.extensions import db
        from otpauth.signin.models import Customer

        db.session.add(Customer(name="B", email="b@example.com", customer_type="Household"))
        db.session.commit()
    sign_in_by_code(auth, outbox, "b@example.com")
    token = page_csrf(client, "/account/passkeys/")
    options = post_json(client, "/account/passkeys/options", {}, token).get_json()
    clone = for_options(options, credential_id=made.credential_id)
    response = post_json(client, "/account/passkeys/", clone.register(options, ORIGIN), token)
    assert response.status_code == 400 and len(_rows(app)) == 1


@pytest.mark.parametrize("body", ["", "{", "[]", '{"id": "x"}', "\x00" * 10])
def test_malformed_registration_gets_400_never_500(app, client, signed_in, body):
    token = page_csrf(client, "/account/passkeys/")
    post_json(client, "/account/passkeys/options", {}, token)
    response = post_json(client, "/account/passkeys/", body, token)
    assert response.status_code == 400 and _rows(app) == []


def test_anonymous_visitors_cannot_ask_for_creation_options(client):
    token = page_csrf(client, "/otp/request/")
    response = post_json(client, "/account/passkeys/options", {}, token)
    assert response.status_code in (302, 401)


def test_rename_and_remove_only_ones_own(app, client, signed_in, outbox):
    register(client)
    [row] = _rows(app)
    token = page_csrf(client, "/account/passkeys/")
    client.post(
        f"/account/passkeys/{row.id}/rename", data={"csrf_token": token, "name": "My phone"}
    )
    assert _rows(app)[0].name == "My phone"
    assert (
        client.post(
            f"/account/passkeys/{row.id + 1}/remove", data={"csrf_token": token}
        ).status_code
        == 404
    )
    removed = client.post(f"/account/passkeys/{row.id}/remove", data={"csrf_token": token})
    assert removed.status_code == 302 and _rows(app) == []
    assert any("My phone" in m.text for m in outbox)


def test_removal_without_a_recent_sign_in_asks_for_one(app, client, signed_in, monkeypatch):
    register(client)
    [row] = _rows(app)
    token = page_csrf(client, "/account/passkeys/")
    app.config["REAUTH_SECONDS"] = 0  # every sign-in is too old now
    response = client.post(f"/account/passkeys/{row.id}/remove", data={"csrf_token": token})
    assert response.status_code == 403
    assert "Sign in again" in response.get_data(as_text=True)
    assert len(_rows(app)) == 1


def test_the_offer_follows_a_code_sign_in_and_dont_ask_again_sticks(
    app, client, auth, outbox, customer
):
    sign_in_by_code(auth, outbox)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Create a passkey" in page and "ask again" in page
    token = page_csrf(client, "/dashboard/")
    client.post("/account/passkeys/offer", data={"csrf_token": token, "answer": "never"})
    auth.logout()
    sign_in_by_code(auth, outbox)
    assert "Create a passkey" not in client.get("/dashboard/").get_data(as_text=True)


def test_not_now_asks_again_at_the_next_code_sign_in(client, auth, outbox, customer):
    sign_in_by_code(auth, outbox)
    token = page_csrf(client, "/dashboard/")
    client.post("/account/passkeys/offer", data={"csrf_token": token, "answer": "later"})
    assert "Create a passkey" not in client.get("/dashboard/").get_data(as_text=True)
    auth.logout()
    sign_in_by_code(auth, outbox)
    assert "Create a passkey" in client.get("/dashboard/").get_data(as_text=True)


def test_a_code_by_sms_is_told_its_risk_beside_the_offer(client, auth, outbox, sms, customer):
    risk = "redirected to another SIM card"
    sign_in_by_code(auth, outbox)
    assert risk not in client.get("/dashboard/").get_data(as_text=True)  # e-mail: not a phone
    auth.logout()
    auth.request("9876543210", "sms")
    auth.verify(code_in(sms[-1]))
    assert risk in client.get("/dashboard/").get_data(as_text=True)
