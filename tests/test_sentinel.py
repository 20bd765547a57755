"""REDIS_URL=redis+sentinel://: the app finds its master through Redis Sentinel.

A throw-away master (loopback port) and one sentinel watching it; a login runs through
the pages with codes, the session and the per-IP limits on the master the sentinel names.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import TEST_DATABASE_URL, Auth, _empty_tables, code_in
from tests.ports import free_ports, redis_is_ours, stop_pidfiles
from tests.redis_cluster import require_redis_server

SERVICE = "otpauth-master"
START_ATTEMPTS = 3  # a port taken between the OS's answer and the server's bind: new ports


def _cli(port: int, *args: str) -> str:
    result = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result.stdout.strip()


@dataclass
class Sentinel:
    url: str  # the app's REDIS_URL
    master: int  # the master's port


def _start_pair(directory: Path) -> tuple[int, int] | None:
    """A master and a sentinel watching it, on free ports; None if a port was taken."""
    master, sentinel = free_ports(2)
    conf = directory / "sentinel.conf"
    conf.write_text(
        f"port {sentinel}\nbind 127.0.0.1\ndir {directory}\n"
        f"pidfile {directory / 'sentinel.pid'}\n"
        f"sentinel monitor {SERVICE} 127.0.0.1 {master} 1\n"
    )
    common = ["--bind", "127.0.0.1", "--daemonize", "yes", "--save", "", "--dir", str(directory)]
    subprocess.run(
        ["redis-server", "--port", str(master), "--appendonly", "no", *common]
        + ["--logfile", str(directory / "master.log")]
        + ["--pidfile", str(directory / "master.pid")],
        check=True,
        timeout=30,
    )
    if not redis_is_ours(master, directory / "master.pid"):
        return None
    subprocess.run(
        ["redis-server", str(conf), "--sentinel", "--daemonize", "yes"]
        + ["--logfile", str(directory / "sentinel.log")],
        check=True,
        timeout=30,
    )
    return (master, sentinel) if redis_is_ours(sentinel, directory / "sentinel.pid") else None


@pytest.fixture(scope="module")
def sentinel() -> Iterator[Sentinel]:
    """A master and a sentinel monitoring it; answers the app's REDIS_URL."""
    require_redis_server()
    directory = Path(tempfile.mkdtemp(prefix="otpauth-sentinel-"))
    try:
        for _ in range(START_ATTEMPTS):
            ports = _start_pair(directory)
            if ports:
                break
            stop_pidfiles(directory)
        else:
            pytest.fail(f"no master and sentinel started in {START_ATTEMPTS} attempts")
        deadline = time.monotonic() + 30
        while "127.0.0.1" not in _cli(ports[1], "sentinel", "get-master-addr-by-name", SERVICE):
            if time.monotonic() > deadline:
                pytest.fail("the sentinel did not find its master in time")
            time.sleep(0.2)  # polling the sentinel's start-up, not timing anything
        yield Sentinel(f"redis+sentinel://127.0.0.1:{ports[1]}/{SERVICE}/3", ports[0])
    finally:
        stop_pidfiles(directory)  # by pid: a port may belong to another run's server
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def app(sentinel: Sentinel, request: pytest.FixtureRequest) -> Iterator:
    from otpauth import create_app
    from otpauth.delivery import RecordingSender
    from otpauth.platform.extensions import db, limiter
    from otpauth.signin.models import Customer

    url = request.getfixturevalue("postgres_url" if TEST_DATABASE_URL else "sqlite_url")
    limiter._storage_options.clear()  # the migrating app's embedded pool, left behind
    app = create_app({"DATABASE_URL": url, "REDIS_URL": sentinel.url, "RATELIMIT_ENABLED": True})
    with app.app_context():
        app.extensions["otpauth.delivery"].senders = {"email": RecordingSender()}
        _empty_tables(db)
        db.session.add(
            Customer(name="Asha Rao", email="test@example.com", customer_type="Household")
        )
        db.session.commit()
    yield app
    app.extensions["otpauth.redis"].close()
    limiter.storage.storage.close()
    limiter.storage.storage_slave.close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    _cli(sentinel.master, "-n", "3", "flushdb")


def test_login_through_sentinel(app, sentinel):
    auth = Auth(app.test_client())
    assert auth.request().status_code == 302
    code = code_in(app.extensions["otpauth.delivery"].senders["email"].messages[-1])
    assert auth.verify(code).headers["Location"] == "/dashboard/"
    assert auth.client.get("/dashboard/").status_code == 200
    keys = _cli(sentinel.master, "-n", "3", "--scan")
    assert "otp:{" in keys and "sess:{" in keys and "otpauth-rl/" in keys  # the master, db 3
