"""Passkeys (WebAuthn): options, registration and sign-in, all through py_webauthn.

The library does the protocol (client data, origin, RP ID hash, flags, signature); this
module adds what it leaves to the relying party: single-use challenges
(``passkey_challenges``), the credential's owner and user handle, unique credential ids,
and the sign counter. A counter that did not go up, on a response whose signature is
valid, means a cloned authenticator: refused, and the caller audits it
(``PasskeyError.reason == "clone"``).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ..platform.extensions import db
from ..platform.redis import get_redis
from .models import Passkey, utcnow
from .otp.codes import derive_key
from .passkey_challenges import ChallengeStore
from .passkey_rows import NAME_LENGTH, by_credential, owned, user_handle

EXTENSION_KEY = "otpauth.passkeys"
METHODS = ("passkey", "passkey_synced")  # a session's sign-in method for each kind
NOT_NOW = "passkey_not_now"  # cookie-session key: "Not now" said in this session
# Anything a hostile body can make the parser or verifier raise: one answer for all.
MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, IndexError, AttributeError)
Loader = Callable[[str, int], Any]  # (kind, id) -> the user, or None


class PasskeyError(Exception):
    """A registration or sign-in refused; ``reason`` is for the audit, never the page."""

    def __init__(self, reason: str, owner: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.owner = owner  # the credential's owner, when the failure got that far


@dataclass(frozen=True)
class SignedIn:
    """A verified sign-in: who, with which passkey, and whether it is a synced one."""

    user: Any
    passkey: Passkey
    synced: bool

    @property
    def method(self) -> str:
        """The session's sign-in method (OIDC amr ``swk`` when synced, else ``hwk``)."""
        return METHODS[1] if self.synced else METHODS[0]


def challenges() -> ChallengeStore:
    return current_app.extensions[EXTENSION_KEY]


def enabled() -> bool:
    """Passkeys work here: the RP ID is a host name (browsers refuse an IP address)."""
    return bool(current_app.config["PASSKEYS_ENABLED"])


def offered(user: Any, method: str | None, not_now: bool) -> bool:
    """Whether to offer a passkey: to a customer without one who has not declined it,
    in a session that began with a code, until "Not now" (asked again at the next one)."""
    return (
        enabled()
        and user.passkey_offer is None
        and method is not None
        and method not in METHODS
        and not not_now
    )


def _rp() -> tuple[str, list[str]]:
    c = current_app.config
    return c["WEBAUTHN_RP_ID"], list(c["WEBAUTHN_ORIGINS"])


def registration_options(user: Any, account_name: str) -> str:
    """PublicKeyCredentialCreationOptions (JSON) for ``user``, its passkeys excluded."""
    rp_id, _ = _rp()
    mine = owned(user.kind, user.id)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=current_app.config["SITE_NAME"],
        user_name=account_name,
        user_id=user_handle(user),
        user_display_name=user.name,
        challenge=challenges().issue("register", user.kind, user.id),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in mine
        ],
    )
    return options_to_json(options)


def register(user: Any, body: str, name: str) -> Passkey:
    """Verify a registration response for ``user`` and store the passkey."""
    rp_id, origins = _rp()
    try:
        credential = parse_registration_credential_json(body)
        challenge = parse_client_data_json(credential.response.client_data_json).challenge
    except MALFORMED:
        raise PasskeyError("malformed") from None
    if not challenges().spend(challenge, "register", user.kind, user.id):
        raise PasskeyError("challenge")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origins,
            require_user_verification=True,
        )
    except MALFORMED:
        raise PasskeyError("invalid") from None
    transports = [t.value for t in credential.response.transports or []]
    passkey = Passkey(
        owner_kind=user.kind,
        owner_id=user.id,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=",".join(transports)[:200],
        backed_up=verified.credential_backed_up,
        name=name[:NAME_LENGTH],
    )
    db.session.add(passkey)
    try:
        db.session.commit()
    except IntegrityError:  # the credential id is someone's already
        db.session.rollback()
        raise PasskeyError("duplicate") from None
    return passkey


def signin_options(kind: str = "customer", owner: int | None = None) -> str:
    """PublicKeyCredentialRequestOptions (JSON): discoverable (no allowCredentials)."""
    rp_id, _ = _rp()
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenges().issue("signin", kind, owner),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def sign_in(body: str, load: Loader, kind: str = "customer", owner: int | None = None) -> SignedIn:
    """Verify an assertion; ``load(kind, id)`` answers the credential's owner (or None).

    ``owner``: the one user the sign-in may be for (a staff member past the password).
    """
    try:
        credential = parse_authentication_credential_json(body)
        challenge = parse_client_data_json(credential.response.client_data_json).challenge
    except MALFORMED:
        raise PasskeyError("malformed") from None
    if not challenges().spend(challenge, "signin", kind, owner):
        raise PasskeyError("challenge")
    passkey = by_credential(credential.id)
    if passkey is None or passkey.owner_kind != kind or owner not in (None, passkey.owner_id):
        raise PasskeyError("unknown")
    user = load(kind, passkey.owner_id)
    handle = credential.response.user_handle or b""
    if user is None or not hmac.compare_digest(handle, user.webauthn_user_handle or b"-"):
        raise PasskeyError("handle", user)
    verified = _verify(credential, challenge, passkey, user)
    count = verified.new_sign_count
    if (count or passkey.sign_count) and count <= passkey.sign_count:
        raise PasskeyError("clone", user)
    if not user.active:
        raise PasskeyError("inactive", user)
    passkey.sign_count, passkey.last_used_at = count, utcnow()
    passkey.backed_up = verified.credential_backed_up
    db.session.commit()
    return SignedIn(user, passkey, verified.credential_backed_up)


def _verify(credential: Any, challenge: bytes, passkey: Passkey, user: Any) -> Any:
    """py_webauthn's check of the assertion; the counter is compared by the caller, after
    the signature, so that only a valid response can be called a clone."""
    rp_id, origins = _rp()
    try:
        return verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origins,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except MALFORMED:
        raise PasskeyError("invalid", user) from None


def init_app(app: Flask) -> None:
    """The challenge store on the app's Redis; its ids keyed by a sub-key of SECRET_KEY."""
    key = derive_key(app.config["SECRET_KEY"], "webauthn-challenge")
    with app.app_context():
        app.extensions[EXTENSION_KEY] = ChallengeStore(get_redis(), key)
    app.jinja_env.globals["passkeys_enabled"] = bool(app.config["PASSKEYS_ENABLED"])
