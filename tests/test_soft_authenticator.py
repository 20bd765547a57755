"""The tests' software authenticator speaks WebAuthn as py_webauthn reads it.

If these pass, a refusal in the app's passkey tests comes from the app's own checks (or
the library's), not from a malformed object built by the test.
"""

from __future__ import annotations

import json

import pytest
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import UserVerificationRequirement

from tests.soft_authenticator import b64url, for_options

RP_ID, ORIGIN = "localhost", "http://localhost:5000"


def _registered():
    options = json.loads(
        options_to_json(
            generate_registration_options(
                rp_id=RP_ID,
                rp_name="Waste Billing",
                user_name="test@example.com",
                user_id=b"u" * 64,
            )
        )
    )
    credential = for_options(options)
    response = credential.register(options, ORIGIN)
    verified = verify_registration_response(
        credential=response,
        expected_challenge=base64url_to_bytes(options["challenge"]),
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        require_user_verification=True,
    )
    return credential, verified


def test_registration_verifies_and_names_the_key():
    credential, verified = _registered()
    assert verified.credential_id == credential.credential_id
    assert verified.user_verified is True
    assert verified.sign_count == 0
    assert verified.fmt == "none"


def _options() -> tuple[dict, bytes]:
    raw = generate_authentication_options(
        rp_id=RP_ID, user_verification=UserVerificationRequirement.REQUIRED
    )
    return json.loads(options_to_json(raw)), raw.challenge


def _verify(response: dict, challenge: bytes, public_key: bytes, count: int = 0):
    return verify_authentication_response(
        credential=response,
        expected_challenge=challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        credential_public_key=public_key,
        credential_current_sign_count=count,
        require_user_verification=True,
    )


def test_assertion_verifies_and_counts_up():
    credential, verified = _registered()
    options, challenge = _options()
    result = _verify(credential.assert_(options, ORIGIN), challenge, verified.credential_public_key)
    assert result.new_sign_count == 1
    assert result.credential_backed_up is False


@pytest.mark.parametrize(
    "bend",
    [
        {"origin": "http://evil.example"},
        {"rp_id": "evil.example"},
        {"uv": False},
        {"challenge": b64url(b"another challenge")},
    ],
    ids=["origin", "rp_id", "uv", "challenge"],
)
def test_each_bent_field_is_refused(bend: dict):
    credential, verified = _registered()
    options, challenge = _options()
    origin = bend.pop("origin", ORIGIN)
    response = credential.assert_(options, origin, **bend)
    with pytest.raises(InvalidAuthenticationResponse):
        _verify(response, challenge, verified.credential_public_key)


def test_registration_without_user_verification_is_refused():
    options = json.loads(
        options_to_json(
            generate_registration_options(rp_id=RP_ID, rp_name="x", user_name="x", user_id=b"u")
        )
    )
    response = for_options(options).register(options, ORIGIN, uv=False)
    with pytest.raises(InvalidRegistrationResponse):
        verify_registration_response(
            credential=response,
            expected_challenge=base64url_to_bytes(options["challenge"]),
            expected_rp_id=RP_ID,
            expected_origin=ORIGIN,
            require_user_verification=True,
        )
