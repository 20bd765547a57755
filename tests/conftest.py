"""Fixtures per seam: app, client, redis, outbox (e-mail), sms, and a login helper.

Every app-level test runs twice, through the ``backend`` parameter:
- ``embedded``: fakeredis (a fresh server per test) and SQLite;
- ``servers``: the real Redis named by TEST_REDIS_URL (a database of this run's own,
  flushed before each test: the URL's number or the next one up that no other run holds,
  see ``tests/redis_claim.py``) and PostgreSQL named by TEST_DATABASE_URL (a database of the tests'
  own, created and dropped here), or SQLite when that is unset.

Without TEST_REDIS_URL the ``servers`` runs are skipped, so a newcomer's machine passes on
the embedded defaults. With CI set, a missing or unreachable server fails the run instead.
"""

from __future__ import annotations

import copy
import os
import re
import uuid
from collections.abc import Iterator

import pytest

import config
from otpauth.platform.extensions import limiter
from tests import redis_claim

# The tests own their environment: nothing from the developer's shell leaks in.
for _name in [*config.PARSERS, "OTPAUTH_ENV"]:
    os.environ.pop(_name, None)
os.environ["OTPAUTH_ENV"] = "testing"

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CODE_RE = re.compile(r"\b(\d{6})\b")


# Flask-Limiter keeps some settings of the first app bound to the one global ``limiter``
# (headers, storage options, key prefix, ...). One app per process never notices; the
# tests build many apps, so each test starts from the values it had before any app.
_PRISTINE_LIMITER = {
    name: copy.copy(value)
    for name, value in vars(limiter).items()
    if name
    in (
        "_headers_enabled",
        "_swallow_errors",
        "_fail_on_first_breach",
        "_key_prefix",
        "_retry_after",
        "_strategy",
        "_storage_options",
        "_header_mapping",
    )
}


@pytest.fixture(autouse=True)
def fresh_limiter() -> Iterator[None]:
    """Undo what an earlier app left on the global limiter."""
    for name, value in _PRISTINE_LIMITER.items():
        setattr(limiter, name, copy.copy(value))
    # The limit manager keeps the last app's RATELIMIT_DEFAULT / RATELIMIT_APPLICATION too.
    limiter.limit_manager._default_limits = []
    limiter.limit_manager._application_limits = []
    yield


@pytest.fixture(autouse=True)
def written_audit() -> Iterator[None]:
    """Apps on the production profile spool their audit rows: write them before the next
    test empties the tables, so no test sees another's events."""
    yield
    from otpauth.signin.audit_writer import AuditWriter

    AuditWriter.flush_all()


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not (TEST_REDIS_URL and TEST_DATABASE_URL):
        raise pytest.UsageError("CI needs TEST_REDIS_URL and TEST_DATABASE_URL (see .ci/run)")


def require_real_redis() -> str:
    """This run's database on TEST_REDIS_URL's server, or skip (on a newcomer's machine) /
    fail (in CI)."""
    if not TEST_REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set: real-Redis run skipped")
    if not _CLAIM:
        try:
            _CLAIM.append(redis_claim.claim(TEST_REDIS_URL))
        except redis_claim.NoFreeDatabase as exc:
            pytest.fail(str(exc))
    return _CLAIM[0].url


_CLAIM: list[redis_claim.Claim] = []  # this run's database, claimed at its first use


def pytest_unconfigure(config: pytest.Config) -> None:
    for held in _CLAIM:
        held.release()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A PostgreSQL database of the tests' own, migrated; None without TEST_DATABASE_URL."""
    if not TEST_DATABASE_URL:
        yield None
        return
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(TEST_DATABASE_URL)
    name = f"otpauth_test_{uuid.uuid4().hex[:8]}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    _migrate(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file shared by the session's tests."""
    url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "otpauth.sqlite")
    _migrate(url)
    return url


def _migrate(url: str) -> None:
    """Build the schema the way ops do: through the Alembic migrations."""
    import fakeredis
    from flask_migrate import upgrade

    from otpauth import create_app

    app = create_app({"DATABASE_URL": url, "REDIS_CLIENT": fakeredis.FakeRedis()})
    with app.app_context():
        upgrade()
        from otpauth.platform.extensions import db

        db.engine.dispose()


@pytest.fixture(params=["embedded", "servers"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which servers the test runs on (see the module docstring)."""
    if request.param == "servers":
        require_real_redis()
    return request.param


@pytest.fixture
def redis_client(backend: str) -> Iterator:
    """A clean Redis: a new fakeredis server, or the real server's own database, flushed."""
    if backend == "embedded":
        import fakeredis

        yield fakeredis.FakeRedis(server=fakeredis.FakeServer())
        return
    import redis

    client = redis.Redis.from_url(require_real_redis())
    client.ping()  # unreachable in CI: the test fails here, it is not skipped
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "servers" and TEST_DATABASE_URL:
        return request.getfixturevalue("postgres_url")
    return request.getfixturevalue("sqlite_url")


@pytest.fixture
def settings() -> dict:
    """Overrides for this test's app; tests override this fixture or update the dict."""
    return {}


@pytest.fixture
def app(redis_client, database_url: str, settings: dict, tmp_path) -> Iterator:
    from otpauth import create_app
    from otpauth.delivery import RecordingSender, delivery
    from otpauth.platform.extensions import db

    # Per-IP limits are on in every profile (Flask-Limiter's default); most tests drive many
    # requests from one address, so they are off here unless a test's settings turn them on.
    overrides = {
        "DATABASE_URL": database_url,
        "REDIS_CLIENT": redis_client,
        "RATELIMIT_ENABLED": False,
        "DELIVERY_SEND_DELAY": 0,  # inline sends start at once (each test drains the pool)
        "AUDIT_SPOOL_DIR": str(tmp_path / "audit-spool"),  # no other test's (or run's) spool
        **settings,
    }
    if "REDIS_URL" in settings:
        overrides.pop("REDIS_CLIENT")
    app = create_app(overrides)
    with app.app_context():
        delivery().senders = {
            "email": RecordingSender(),
            "sms": RecordingSender(),
            "whatsapp": RecordingSender(),
        }
        _empty_tables(db)
    yield app
    pool = app.extensions["otpauth.delivery"].pool
    if pool is not None:
        pool.shutdown()  # the inline sends still queued run before the database goes
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def drain(app) -> None:  # noqa: ANN001
    """Wait until the inline pool has sent what the last requests handed it."""
    pool = app.extensions["otpauth.delivery"].pool
    if pool is not None:
        assert pool.wait_idle(10), "the inline send pool did not drain"


class Sent(list):
    """A sender's messages, read after the inline pool has drained (sends run off-thread)."""

    def __init__(self, app, sender) -> None:  # noqa: ANN001
        self.app, self.sender = app, sender

    def _now(self) -> list:
        drain(self.app)
        return self.sender.messages

    def __len__(self) -> int:
        return len(self._now())

    def __getitem__(self, index):  # noqa: ANN001, ANN204
        return self._now()[index]

    def __iter__(self):  # noqa: ANN204
        return iter(self._now())

    def __eq__(self, other: object) -> bool:
        return self._now() == other

    def __bool__(self) -> bool:
        return bool(self._now())

    def clear(self) -> None:
        self._now().clear()

    def __repr__(self) -> str:
        return repr(self._now())


def _empty_tables(db) -> None:  # noqa: ANN001
    from otpauth.signin.models import Authenticator, AuthEvent, Customer, Passkey, RecoveryCode

    # An authenticator left by an earlier test would belong to the next customer 1.
    db.session.query(RecoveryCode).delete()
    db.session.query(Authenticator).delete()
    db.session.query(Passkey).delete()
    db.session.query(AuthEvent).delete()
    db.session.query(Customer).delete()
    db.session.commit()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app):
    """The e-mails the app sent, as delivery.Message objects."""
    return Sent(app, app.extensions["otpauth.delivery"].senders["email"])


@pytest.fixture
def sms(app):
    """The text messages the app sent."""
    return Sent(app, app.extensions["otpauth.delivery"].senders["sms"])


@pytest.fixture
def whatsapp(app):
    """The WhatsApp messages the app sent."""
    return Sent(app, app.extensions["otpauth.delivery"].senders["whatsapp"])


@pytest.fixture
def customer(app):
    """The demo customer: test@example.com / 9876543210 (+919876543210), Household."""
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    with app.app_context():
        c = Customer(
            name="Asha Rao",
            email="test@example.com",
            phone="+919876543210",
            customer_type="Household",
        )
        db.session.add(c)
        db.session.commit()
        return c.id


def csrf_token(client, path: str = "/otp/request/") -> str:
    """The CSRF token of the form on ``path``."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def code_in(message) -> str:  # noqa: ANN001
    """The code in a sent message."""
    match = CODE_RE.search(message.text)
    assert match, "no code in message"
    return match.group(1)


class Auth:
    """Drives the login pages like a browser would."""

    def __init__(self, client) -> None:  # noqa: ANN001
        self.client = client

    def request(
        self, contact: str = "test@example.com", channel: str = "email", path: str = "/otp/request/"
    ):
        token = csrf_token(self.client, path)
        response = self.client.post(
            path, data={"channel": channel, "contact": contact, "csrf_token": token}
        )
        drain(self.client.application)
        return response

    def verify(self, code: str):
        token = csrf_token(self.client, "/otp/verify/")
        return self.client.post("/otp/verify/", data={"code": code, "csrf_token": token})

    def resend(self):
        token = csrf_token(self.client, "/otp/verify/")
        response = self.client.post("/otp/resend/", data={"csrf_token": token})
        drain(self.client.application)
        return response

    def logout(self):
        token = csrf_token(self.client, "/dashboard/")
        return self.client.post("/otp/logout/", data={"csrf_token": token})


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)
