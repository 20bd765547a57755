"""A live otpauth for the OpenID Connect tests: its issuer is its own URL on a free port.

Load with ``pytest_plugins = ["tests.oidc_live"]``. ``oidc_server`` serves the app
(fakeredis + the tests' SQLite) from a thread, the demo customer seeded, messages kept.
``sign_in_over_http`` walks a ``requests`` session through the sign-in pages.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

from tests.conftest import code_in

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    """A port nothing listens on now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class OidcServer:
    """The running provider: URL (= issuer), app, the demo customer and sent messages."""

    app: Any
    url: str
    customer_id: int
    senders: dict[str, Any]

    def code(self) -> str:
        pool = self.app.extensions["otpauth.delivery"].pool
        if pool is not None:
            assert pool.wait_idle(10)
        return code_in(self.senders["email"].messages[-1])

    def register(self, redirect_uris: list[str], **extra: Any) -> Any:
        from otpauth.oidc import clients
        from otpauth.platform.extensions import db

        with self.app.app_context():
            created = clients.create("Portal", redirect_uris, **extra)
            db.session.commit()
            return created.client.client_id, created.secret

    def wait_backchannel(self) -> None:
        assert self.app.extensions["otpauth.oidc.backchannel"].wait_idle(20)


@pytest.fixture
def oidc_settings() -> dict:
    return {}


@pytest.fixture
def oidc_server(sqlite_url: str, oidc_settings: dict) -> Iterator[OidcServer]:
    import fakeredis
    from werkzeug.serving import make_server

    from otpauth import create_app
    from otpauth.delivery import RecordingSender, delivery
    from otpauth.oidc.models import OidcKey
    from otpauth.platform.extensions import db
    from otpauth.signin.models import AuthEvent, Customer

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(
        {
            "DATABASE_URL": sqlite_url,
            "REDIS_CLIENT": fakeredis.FakeRedis(server=fakeredis.FakeServer()),
            "RATELIMIT_ENABLED": False,
            "DELIVERY_SEND_DELAY": 0,
            "PUBLIC_URL": url,
            "OIDC_ISSUER": url,
            **oidc_settings,
        }
    )
    senders = {"email": RecordingSender(), "sms": RecordingSender()}
    with app.app_context():
        delivery().senders = senders
        db.session.query(AuthEvent).delete()
        db.session.query(Customer).delete()
        db.session.query(OidcKey).delete()  # made under another test's SECRET_KEY
        customer = Customer(
            name="Asha Rao", email="test@example.com", phone="+919876543210",
            customer_type="Household",
        )  # fmt: skip
        db.session.add(customer)
        db.session.commit()
        customer_id = customer.id
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="oidc-live", daemon=True)
    thread.start()
    try:
        yield OidcServer(app, url, customer_id, senders)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        app.extensions["otpauth.oidc.backchannel"].wait_idle(20)
        pool = app.extensions["otpauth.delivery"].pool
        if pool is not None:
            pool.shutdown()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token"
    return match.group(1)


def sign_in_over_http(browser: requests.Session, server: OidcServer, url: str) -> str:
    """Follow ``url`` (an authorize URL) through the sign-in pages; answer where otpauth
    finally sends the browser (the relying party's callback), without following it."""
    answer = browser.get(url, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:300]
    location = urljoin(server.url, answer.headers["Location"])
    if location.startswith(server.url + "/otp/request/"):
        page = browser.get(location)
        form = {"channel": "email", "contact": "test@example.com", "csrf_token": _csrf(page.text)}
        sent = browser.post(location, data=form, allow_redirects=False)
        verify = urljoin(server.url, sent.headers["Location"])
        token = _csrf(browser.get(verify).text)
        done = browser.post(
            verify, data={"code": server.code(), "csrf_token": token}, allow_redirects=False
        )
        back = browser.get(urljoin(server.url, done.headers["Location"]), allow_redirects=False)
        assert back.status_code == 302, back.text[:300]
        location = back.headers["Location"]
    return location


@pytest.fixture
def http_sign_in() -> Any:
    """``sign_in_over_http`` as a fixture (test modules load this module as a plugin only)."""
    return sign_in_over_http


class LogoutReceiver:
    """A relying party's back-channel logout endpoint: records each logout token."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.status = 200
        self.arrived = threading.Event()

    def __call__(self, environ: dict, start_response: Any) -> list[bytes]:
        from werkzeug.wrappers import Request

        request = Request(environ)
        if request.method == "POST" and request.form.get("logout_token"):
            self.tokens.append(request.form["logout_token"])
            self.arrived.set()
        start_response(f"{self.status} X", [("Content-Type", "text/plain")])
        return [b""]


@pytest.fixture
def logout_receiver() -> Iterator[tuple[LogoutReceiver, str]]:
    """(receiver, its URL) served on a free port for the test."""
    from werkzeug.serving import make_server

    receiver = LogoutReceiver()
    port = free_port()
    server = make_server("127.0.0.1", port, receiver, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="bcl-receiver", daemon=True)
    thread.start()
    try:
        yield receiver, f"http://127.0.0.1:{port}/backchannel"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
