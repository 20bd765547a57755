"""Helpers for the server-side passkey tests: sign in by code, register a software
credential, sign in with it, each through the app's own endpoints as a browser would.

The origin and RP ID are the app's (``PUBLIC_URL`` = ``http://localhost:5000`` in these
tests); the software authenticator (``tests/soft_authenticator.py``) can bend any of them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import Auth, code_in
from tests.soft_authenticator import SoftCredential, for_options

ORIGIN = "http://localhost:5000"
SETTINGS = {"PUBLIC_URL": ORIGIN, "OTP_RESEND_COOLDOWN_SECONDS": 0}  # tests sign in again
CSRF_RE = re.compile(r'(?:name="csrf_token"[^>]*value|data-csrf)="([^"]+)"')


def page_csrf(client: Any, path: str) -> str:
    """A CSRF token from a page (form field or a passkey control's ``data-csrf``)."""
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_json(client: Any, path: str, body: Any, token: str, **kwargs: Any) -> Any:
    """POST ``body`` (a dict as JSON, or raw text) with the CSRF header a script sends."""
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    headers = {"X-CSRFToken": token, "Content-Type": "application/json"}
    return client.post(path, data=data, headers=headers, **kwargs)


def sign_in_by_code(auth: Auth, outbox: Any, contact: str = "test@example.com") -> Any:
    """A code sign-in by e-mail; answers the verify response."""
    auth.request(contact)
    return auth.verify(code_in(outbox[-1]))


def register(client: Any, origin: str = ORIGIN, **bend: Any) -> tuple[SoftCredential, Any]:
    """Ask for creation options, answer them with a new software credential; answers the
    credential and the app's response to it."""
    token = page_csrf(client, "/account/passkeys/")
    options = post_json(client, "/account/passkeys/options", {}, token)
    assert options.status_code == 200, options.get_data(as_text=True)
    credential = for_options(options.get_json())
    response = post_json(
        client, "/account/passkeys/", credential.register(options.get_json(), origin, **bend), token
    )
    return credential, response


def signin_options(client: Any) -> dict:
    """Fresh sign-in options from ``/passkey/options``."""
    token = page_csrf(client, "/otp/request/")
    response = post_json(client, "/passkey/options", {}, token)
    assert response.status_code == 200
    return response.get_json()


def passkey_sign_in(
    client: Any,
    credential: SoftCredential,
    origin: str = ORIGIN,
    path: str = "/passkey/verify",
    **bend: Any,
) -> Any:
    """Options, then the credential's assertion to ``path``; answers the verify response."""
    options = signin_options(client)
    token = page_csrf(client, "/otp/request/")
    return post_json(client, path, credential.assert_(options, origin, **bend), token)
