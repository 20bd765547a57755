"""Fixtures for the real-browser tests: a live server and Playwright driving Chromium.

Load them in a test module with ``pytest_plugins = ["tests.browser_support"]`` and use them
as fixtures only (importing this module as well makes pytest warn that it cannot rewrite
its asserts; for type hints import it under ``TYPE_CHECKING``).

- ``live_server``: the app (embedded fakeredis + the tests' migrated SQLite) served by
  werkzeug's ``make_server`` in a thread on a free port the OS picks (port 0), the demo
  customer seeded, every message kept by a ``RecordingSender``
  (``live_server.code("email")`` is the latest code sent).
  Tests change its settings by overriding the ``live_settings`` fixture.
- ``browser`` (one Chromium per test session, ``/usr/bin/chromium`` headless) and ``page``
  (a fresh context per test, 1280x800); ``new_page(...)`` for other sizes, locales or
  JavaScript off.
- ``axe`` fixture: ``axe(page)`` answers axe-core's violations for the page
  (``AXE_CORE_PATH``, set by ``.ci/run``, or ``.ci/node/node_modules/axe-core/axe.min.js``).
- ``htmlcs`` fixture: ``htmlcs(page)`` answers HTML_CodeSniffer's WCAG2AA errors, the
  engine and standard pa11y uses by default (``HTMLCS_PATH`` or its place under .ci/node).
- ``shoot_page`` fixture: ``shoot_page(page, name)`` saves a screenshot into ``SCREENSHOT_DIR``
  (default ``$TMPDIR/otpauth-screenshots``) and answers its path.

Without Chromium, Playwright or a checker the tests skip with the reason; with ``CI`` set
they fail instead, so CI never skips them.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, code_in

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / ".ci" / "node" / "node_modules"
AXE_DEFAULT = NODE_MODULES / "axe-core" / "axe.min.js"
HTMLCS_DEFAULT = NODE_MODULES / "html_codesniffer" / "build" / "HTMLCS.js"
SCREENSHOT_DIR = Path(
    os.environ.get("SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "otpauth-screenshots"
)
DEMO = {"name": "Asha Rao", "email": "test@example.com", "phone": "+919876543210"}


def missing(reason: str) -> None:
    """Skip the test with ``reason`` on a developer's machine; fail it in CI."""
    if IN_CI:
        pytest.fail(f"{reason} (CI must run the browser tests: see .ci/run)")
    pytest.skip(reason)


@dataclass
class LiveServer:
    """The running app: its URL, the app object and what it sent."""

    app: Any
    url: str
    customer_id: int
    senders: dict[str, Any] = field(default_factory=dict)

    def __call__(self, path: str = "/") -> str:
        """The absolute URL of ``path``."""
        return self.url + path

    def messages(self, channel: str = "email") -> list:
        pool = self.app.extensions["otpauth.delivery"].pool
        if pool is not None:  # inline sends run on the app's pool, after the response
            assert pool.wait_idle(10), "the inline send pool did not drain"
        return self.senders[channel].messages

    def code(self, channel: str = "email") -> str:
        """The code in the latest message sent on ``channel``."""
        sent = self.messages(channel)
        assert sent, f"no {channel} message was sent"
        return code_in(sent[-1])


@pytest.fixture
def live_settings() -> dict:
    """Setting overrides for the live server's app; override this fixture per test."""
    return {}


@pytest.fixture
def live_server(sqlite_url: str, live_settings: dict) -> Iterator[LiveServer]:
    """The app served over HTTP on 127.0.0.1, one request at a time, in a thread."""
    import fakeredis
    from werkzeug.serving import make_server

    from otpauth import create_app
    from otpauth.delivery import RecordingSender, delivery
    from otpauth.platform.extensions import db
    from otpauth.signin.models import AuthEvent, Customer

    overrides = {
        "DATABASE_URL": sqlite_url,
        "REDIS_CLIENT": fakeredis.FakeRedis(server=fakeredis.FakeServer()),
        "RATELIMIT_ENABLED": False,
        "DELIVERY_SEND_DELAY": 0,  # sends start at once; messages() waits for the pool
        **live_settings,
    }
    app = create_app(overrides)
    senders = {"email": RecordingSender(), "sms": RecordingSender(), "whatsapp": RecordingSender()}
    with app.app_context():
        delivery().senders = senders
        db.session.query(AuthEvent).delete()
        db.session.query(Customer).delete()
        customer = Customer(customer_type="Household", **DEMO)
        db.session.add(customer)
        db.session.commit()
        customer_id = customer.id
    server = make_server("127.0.0.1", 0, app, threaded=True)  # the OS picks a free port
    port = server.server_port
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{port}", customer_id, senders)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        pool = app.extensions["otpauth.delivery"].pool
        if pool is not None:
            pool.shutdown()  # the sends still queued run before the database goes
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session (Debian's, through Playwright)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is not installed (pip install -r requirements-dev.txt)")
    if not os.path.exists(CHROMIUM):
        missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Open a page in a fresh context: ``new_page(width=360, locale="hi-IN", js=False)``."""
    contexts: list[Any] = []

    def open_page(
        width: int = 1280, height: int = 800, *, locale: str = "en-GB", js: bool = True
    ) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale=locale,
            java_script_enabled=js,
            bypass_csp=True,  # lets axe-core's script tag in; the app's own CSP is tested elsewhere
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """A 1280x800 page in English with JavaScript on."""
    return new_page()


def script_path(variable: str, default: Path, name: str) -> Path:
    """Where an npm-installed checker's script is; skip (or fail in CI) when it is not."""
    path = Path(os.environ.get(variable) or default)
    if not path.is_file():
        missing(f"{name} is not installed at {path} (.ci/run installs it with npm)")
    return path


def axe_path() -> Path:
    return script_path("AXE_CORE_PATH", AXE_DEFAULT, "axe-core")


def htmlcs_errors(page: Any) -> list[dict]:
    """HTML_CodeSniffer's WCAG2AA errors on the page (warnings and notices left out)."""
    page.add_script_tag(path=str(script_path("HTMLCS_PATH", HTMLCS_DEFAULT, "HTML_CodeSniffer")))
    return page.evaluate(
        """() => new Promise(done => HTMLCS.process("WCAG2AA", document, () => done(
            HTMLCS.getMessages().filter(m => m.type === 1).map(m => ({
                code: m.code, msg: m.msg, html: (m.element.outerHTML || "").slice(0, 120),
            }))
        )))"""
    )


def axe_violations(page: Any, tags: tuple[str, ...] = ()) -> list[dict]:
    """Run axe-core on the page; answer its violations as (id, impact, nodes' targets)."""
    page.add_script_tag(path=str(axe_path()))
    options = {"runOnly": {"type": "tag", "values": list(tags)}} if tags else {}
    result = page.evaluate("options => axe.run(document, options)", options)
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [node["target"] for node in v["nodes"]],
        }
        for v in result["violations"]
    ]


def shoot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot named ``name`` under SCREENSHOT_DIR; answer its path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture
def axe() -> Callable[..., list[dict]]:
    """``axe(page)``: axe-core's violations on the page (see ``axe_violations``)."""
    axe_path()  # skip (or fail in CI) before the test starts when axe-core is missing
    return axe_violations


@pytest.fixture
def htmlcs() -> Callable[..., list[dict]]:
    """``htmlcs(page)``: HTML_CodeSniffer's WCAG2AA errors (see ``htmlcs_errors``)."""
    script_path("HTMLCS_PATH", HTMLCS_DEFAULT, "HTML_CodeSniffer")
    return htmlcs_errors


@pytest.fixture
def shoot_page() -> Callable[..., Path]:
    """``shoot_page(page, name)``: a screenshot into SCREENSHOT_DIR (see ``shoot``)."""
    return shoot
