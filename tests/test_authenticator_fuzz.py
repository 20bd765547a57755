"""Bad input at the authenticator's forms: the app's verify form and the account page's
enrol and remove forms answer 4xx (or a redirect), never a 500."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.security_support import EMAIL, csrf_token, login, set_pending
from tests.test_fuzz import FUZZ, check, post, values
from tests.totp_support import no_authenticators  # noqa: F401

FEWER = settings(FUZZ, max_examples=30)


@given(code=values)
@FEWER
def test_app_verify_form(app, client, customer, code):
    set_pending(client, app, "app", EMAIL)
    check(post(client, "/otp/verify/", csrf_token(client, "/otp/verify/"), {"code": code}))


@given(code=values, path=st.sampled_from(["", "remove"]))
@FEWER
def test_enrol_and_remove_forms(app, client, auth, customer, outbox, code, path):
    if "_user_id" not in _session(client):
        login(auth, outbox)
    token = csrf_token(client, "/account/authenticator/")
    check(post(client, "/account/authenticator/" + path, token, {"code": code}))


def _session(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)
