"""Two app instances (two gunicorn processes on two ports) behind one Redis and one database.

A browser talks to either, as behind a load balancer: a code asked for through one
verifies through the other, and a logout through one ends the session everywhere.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import config
from tests.conftest import CODE_RE, TEST_DATABASE_URL, require_real_redis
from tests.smtp_server import SmtpServer, free_port

ROOT = Path(__file__).resolve().parent.parent
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
EMAIL = "test@example.com"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def shared_db(request: pytest.FixtureRequest) -> str:
    """One database for both instances (PostgreSQL when the run has one), with a customer."""
    url = request.getfixturevalue("postgres_url" if TEST_DATABASE_URL else "sqlite_url")
    import fakeredis

    from otpauth import create_app
    from otpauth.platform.extensions import db
    from otpauth.signin.models import AuthEvent, Customer

    app = create_app({"DATABASE_URL": url, "REDIS_CLIENT": fakeredis.FakeRedis()})
    with app.app_context():
        db.session.query(AuthEvent).delete()
        db.session.query(Customer).delete()
        db.session.add(Customer(name="Asha Rao", email=EMAIL, customer_type="Household"))
        db.session.commit()
        db.engine.dispose()
    return url


def _wait_healthy(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening, or its worker still booting
            pass
        time.sleep(0.2)  # waiting for a server to listen, not timing anything
    pytest.fail(f"the instance at {base} did not start")


@pytest.fixture
def instances(shared_db: str, smtp: SmtpServer) -> Iterator[list[str]]:
    """Two gunicorn instances with the same settings, Redis and database."""
    import redis

    redis_url = require_real_redis()
    redis.Redis.from_url(redis_url).flushdb()
    env = {k: v for k, v in os.environ.items() if k not in config.PARSERS}
    env.update(
        OTPAUTH_ENV="development",
        SECRET_KEY="two-instances-share-this-secret-key",
        DATABASE_URL=shared_db,
        REDIS_URL=redis_url,
        EMAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp.port),
    )
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    procs, bases = [], []
    try:
        for _ in range(2):
            port = free_port()
            command = [gunicorn, "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"]
            procs.append(subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL))
            bases.append(f"http://127.0.0.1:{port}")
        for base, proc in zip(bases, procs, strict=True):
            _wait_healthy(base, proc)
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        redis.Redis.from_url(redis_url).flushdb()


def _token(browser: requests.Session, url: str) -> str:
    match = TOKEN_RE.search(browser.get(url, timeout=10).text)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def _latest_mail(smtp: SmtpServer, before: int):  # noqa: ANN202
    """The message that arrives after ``before`` were there: the pool sends after the
    response (and a short random delay), so it is waited for, up to 10 s."""
    deadline = time.monotonic() + 10
    while len(smtp.received) <= before and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for a delivery, not timing anything
    assert len(smtp.received) > before, "no e-mail arrived within 10 s"
    return smtp.received[-1]


def _login(browser: requests.Session, one: str, two: str, smtp: SmtpServer) -> None:
    """Ask for the code through ``one``, type it through ``two``."""
    form = {
        "channel": "email",
        "contact": EMAIL,
        "csrf_token": _token(browser, f"{one}/otp/request/"),
    }
    before = len(smtp.received)
    sent = browser.post(f"{one}/otp/request/", data=form, allow_redirects=False, timeout=30)
    assert sent.status_code == 302
    code = CODE_RE.search(_latest_mail(smtp, before).message.get_body(("plain",)).get_content())[1]
    form = {"code": code, "csrf_token": _token(browser, f"{two}/otp/verify/")}
    verified = browser.post(f"{two}/otp/verify/", data=form, allow_redirects=False, timeout=30)
    assert verified.status_code == 302 and verified.headers["Location"] == "/dashboard/"


def test_a_code_asked_for_on_one_instance_verifies_on_the_other(instances, smtp):
    one, two = instances
    with requests.Session() as browser:
        _login(browser, one, two, smtp)
        for base in (one, two):
            page = browser.get(f"{base}/dashboard/", allow_redirects=False, timeout=10)
            assert page.status_code == 200 and "Asha Rao" in page.text


def test_logout_on_one_instance_ends_the_session_on_the_other(instances, smtp):
    one, two = instances
    with requests.Session() as browser:
        _login(browser, one, one, smtp)
        copy = browser.cookies.copy()  # the cookie as it was before the logout
        form = {"csrf_token": _token(browser, f"{two}/dashboard/")}
        out = browser.post(f"{two}/otp/logout/", data=form, allow_redirects=False, timeout=10)
        assert out.status_code == 302
    with requests.Session() as replay:
        replay.cookies.update(copy)
        page = replay.get(f"{one}/dashboard/", allow_redirects=False, timeout=10)
        assert page.status_code == 302 and "/otp/request/" in page.headers["Location"]
