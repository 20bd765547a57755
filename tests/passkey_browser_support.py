"""Fixtures for the passkey browser tests: a live server on ``localhost`` and a virtual
authenticator in Chromium.

Load with ``pytest_plugins = ["tests.browser_support", "tests.passkey_browser_support"]``.

- ``passkey_server``: like ``live_server``, but the pages are opened at
  ``http://localhost:<port>``: browsers refuse an IP address as the WebAuthn relying
  party's id, and ``localhost`` is a secure context over plain http. The server socket is
  bound first (port 0: the OS picks a free port) and the app is built after, with
  ``PUBLIC_URL`` naming that port, so the RP ID and origin are the ones the browser sees.
- ``authenticator``: Chrome DevTools Protocol ``WebAuthn.enable`` +
  ``WebAuthn.addVirtualAuthenticator`` on the ``page`` (ctap2, internal transport, resident
  keys, user verification); ``presence(False)`` leaves requests pending (a conditional
  request then waits, as for a person who has not picked a passkey yet).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.browser_support import LiveServer
from tests.conftest import code_in

DEMO = {"name": "Asha Rao", "email": "test@example.com", "phone": "+919876543210"}


class _Late:
    """A WSGI app filled in after the server socket exists (its port names the origin)."""

    app: Any = None

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        return self.app(environ, start_response)


class PasskeyServer(LiveServer):
    """The running app at ``http://localhost:<port>``, and what it sent."""

    def code(self, channel: str = "email") -> str:
        """The code in the latest message sent on ``channel``."""
        sent = self.messages(channel)
        assert sent, f"no {channel} message was sent"
        return code_in(sent[-1])


@pytest.fixture
def passkey_settings() -> dict:
    """Setting overrides for the passkey server's app; override per test."""
    return {}


@pytest.fixture
def passkey_server(sqlite_url: str, passkey_settings: dict) -> Iterator[PasskeyServer]:
    """The app served on 127.0.0.1 and opened as ``localhost``, in a thread."""
    import fakeredis
    from werkzeug.serving import make_server

    from otpauth import create_app
    from otpauth.delivery import RecordingSender, delivery
    from otpauth.platform.extensions import db
    from otpauth.signin.models import (
        Authenticator,
        AuthEvent,
        Customer,
        Passkey,
        RecoveryCode,
        Staff,
    )

    late = _Late()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    url = f"http://localhost:{server.server_port}"
    overrides = {
        "DATABASE_URL": sqlite_url,
        "REDIS_CLIENT": fakeredis.FakeRedis(server=fakeredis.FakeServer()),
        "RATELIMIT_ENABLED": False,
        "DELIVERY_SEND_DELAY": 0,
        "PUBLIC_URL": url,
        **passkey_settings,
    }
    app = late.app = create_app(overrides)
    senders = {"email": RecordingSender(), "sms": RecordingSender()}
    with app.app_context():
        delivery().senders = senders
        for model in (Passkey, RecoveryCode, Authenticator, AuthEvent, Customer, Staff):
            db.session.query(model).delete()  # the database outlives a test
        customer = Customer(customer_type="Household", **DEMO)
        db.session.add(customer)
        db.session.commit()
        customer_id = customer.id
    thread = threading.Thread(target=server.serve_forever, name="passkey-server", daemon=True)
    thread.start()
    try:
        yield PasskeyServer(app, url, customer_id, senders)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        pool = app.extensions["otpauth.delivery"].pool
        if pool is not None:
            pool.shutdown()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@dataclass
class VirtualAuthenticator:
    """A CDP virtual authenticator attached to one page."""

    cdp: Any
    id: str

    def presence(self, enabled: bool) -> None:
        """Whether requests complete at once (a person touching the sensor) or wait."""
        self.cdp.send(
            "WebAuthn.setAutomaticPresenceSimulation",
            {"authenticatorId": self.id, "enabled": enabled},
        )

    def credentials(self) -> list[dict]:
        """The credentials the authenticator holds (id, rpId, userHandle, signCount, ...)."""
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]


def add_authenticator(page: Any, **options: Any) -> VirtualAuthenticator:
    """A platform authenticator with resident keys and user verification on ``page``."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    wanted = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
        **options,
    }
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": wanted})
    return VirtualAuthenticator(cdp, added["authenticatorId"])


@pytest.fixture
def authenticator(page: Any) -> VirtualAuthenticator:
    """The ``page``'s virtual authenticator (see ``add_authenticator``)."""
    return add_authenticator(page)


@pytest.fixture
def give_authenticator() -> Callable[..., VirtualAuthenticator]:
    """``give_authenticator(page)``: a virtual authenticator on another page."""
    return add_authenticator
