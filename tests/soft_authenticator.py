"""A software WebAuthn authenticator for the server-side passkey tests.

It builds real objects, the way a browser and a platform authenticator would: the
``clientDataJSON``, authenticator data (RP ID hash, flags, sign count, attested credential
data with a COSE EC2 P-256 key), a ``none`` attestation in CBOR, and ES256 assertion
signatures (``cryptography``). Every field a check depends on can be bent (origin, RP ID,
challenge, user verification, backed-up flag, sign count, user handle), so each negative
case is one keyword argument away from a good response.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
AAGUID = bytes(16)  # "none" attestation: the AAGUID may be zero


def b64url(data: bytes) -> str:
    """base64url without padding, as WebAuthn's JSON encodings use."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def client_data(kind: str, challenge: str, origin: str) -> bytes:
    """A ``clientDataJSON`` as a browser writes it (``challenge`` already base64url)."""
    data = {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
    return json.dumps(data, separators=(",", ":")).encode()


def _flags(uv: bool, backed_up: bool) -> int:
    flags = UP | (UV if uv else 0)
    return flags | (BE | BS if backed_up else 0)


@dataclass
class SoftCredential:
    """One discoverable credential: its id, P-256 key, user handle and sign count."""

    rp_id: str
    user_handle: bytes
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    sign_count: int = 0
    backed_up: bool = False

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def auth_data(self, rp_id: str, flags: int, count: int, attested: bool = False) -> bytes:
        head = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", count)
        if not attested:
            return head
        body = AAGUID + struct.pack(">H", len(self.credential_id)) + self.credential_id
        return head + body + self.cose_key()

    def register(
        self,
        options: dict,
        origin: str,
        *,
        rp_id: str | None = None,
        uv: bool = True,
        challenge: str | None = None,
    ) -> dict:
        """The browser's ``navigator.credentials.create`` answer to ``options`` (as JSON)."""
        data = client_data("webauthn.create", challenge or options["challenge"], origin)
        flags = _flags(uv, self.backed_up) | AT
        auth = self.auth_data(rp_id or self.rp_id, flags, self.sign_count, attested=True)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def assert_(
        self,
        options: dict,
        origin: str,
        *,
        rp_id: str | None = None,
        uv: bool = True,
        challenge: str | None = None,
        count: int | None = None,
        user_handle: bytes | None = None,
    ) -> dict:
        """The browser's ``navigator.credentials.get`` answer (as JSON); the count goes up
        by one unless ``count`` is given."""
        if count is None:
            self.sign_count += 1
            count = self.sign_count
        data = client_data("webauthn.get", challenge or options["challenge"], origin)
        auth = self.auth_data(rp_id or self.rp_id, _flags(uv, self.backed_up), count)
        signed = auth + hashlib.sha256(data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        handle = self.user_handle if user_handle is None else user_handle
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(data),
                "authenticatorData": b64url(auth),
                "signature": b64url(signature),
                "userHandle": b64url(handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }


def for_options(options: dict, **kwargs: object) -> SoftCredential:
    """A new credential for the user named in registration ``options`` (JSON)."""
    return SoftCredential(
        rp_id=options["rp"]["id"], user_handle=unb64url(options["user"]["id"]), **kwargs
    )
