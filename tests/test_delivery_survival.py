"""Queue mode when parts die (real Redis): a job lost with a flushed Redis is audited
``lost``; a retry scheduled before a Redis restart runs when Redis is back, with one log
line for the outage; a SIGKILLed worker leaves no process behind, stops counting within
the heartbeat's 15 s, and the next worker sends the next code."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rq.scheduler import RQScheduler

from otpauth.delivery.ledger import sweep
from otpauth.delivery.pulse import Outage, Pulse
from otpauth.delivery.queue import LIVE_SECONDS, beat, get_queue, queue_stats
from otpauth.delivery.worker import build_worker
from otpauth.signin import audit
from tests.conftest import TEST_REDIS_URL
from tests.redis_server import RedisServer
from tests.test_delivery_ledger import later

pytest_plugins = ("tests.delivery_fixtures", "tests.admin_fixtures")
pytestmark = pytest.mark.parametrize("backend", ["servers"], indirect=True)
ROOT = Path(__file__).resolve().parent.parent
FAIL_451 = "451 4.3.0 Try again later"
WAIT_SECONDS = LIVE_SECONDS + 15  # a bound for polling what the worker does, not a speed


@pytest.fixture
def extra(request: pytest.FixtureRequest) -> dict:
    """More settings; ``"own redis"``: a redis-server of the test's own, to restart."""
    if getattr(request, "param", None) != "own redis":
        return {}
    server = request.getfixturevalue("own_redis")
    return {"REDIS_URL": server.url, "DELIVERY_RETRY_INTERVALS": (1, 1)}


@pytest.fixture
def settings(smtp_settings, extra):
    return {**smtp_settings, "DELIVERY_MODE": "queue", **extra}


def until(check, seconds: float = WAIT_SECONDS) -> bool:  # noqa: ANN001
    """Poll ``check`` until it holds or ``seconds`` pass; its last answer."""
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.2)
    return bool(check())


def test_a_job_lost_with_a_flushed_redis_is_audited_lost(
    app, run_worker, auth, customer, smtp_server, real_email, redis_client
):
    auth.request()
    redis_client.flushdb()  # Redis restarted empty between the enqueue and the worker
    run_worker()
    assert smtp_server.received == []
    with app.app_context():
        assert sweep(later(app)) == 1
        [lost] = audit.recent(event="otp_send_failed")
        [queued] = audit.recent(event="otp_queued")
    assert (lost.reason, lost.delivery_id) == ("lost", queued.delivery_id)


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.close()


@pytest.mark.parametrize("extra", ["own redis"], indirect=True)
def test_a_retry_scheduled_before_a_redis_restart_runs_after_it(
    app, run_worker, auth, customer, smtp_server, real_email, own_redis, caplog
):
    smtp_server.handler.rcpt_replies = [FAIL_451]
    auth.request()
    run_worker()  # the first try fails for now: a retry is scheduled in 1 s
    worker = build_worker(app)
    pulse = Pulse(worker.name, worker.queues, worker.connection, Outage())
    caplog.set_level(logging.INFO, logger="otpauth.delivery.pulse")
    own_redis.stop(save=True)  # the scheduled retry is on disk
    pulse.tick()
    pulse.tick()  # still down: said once
    own_redis.start()
    assert until(lambda: (pulse.tick(), run_worker(), smtp_server.received)[-1], 10)
    assert smtp_server.handler.attempts == 2 and len(smtp_server.received) == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "otpauth.delivery.pulse"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("delivery worker: lost Redis: ConnectionError")
    assert lines[1].startswith("delivery worker: Redis back after ")
    with app.app_context():
        assert audit.recent(event="otp_send_failed") == []


def start_worker(app, database_url: str, smtp_port: int, log: Path) -> subprocess.Popen:  # noqa: ANN001
    env = {
        **os.environ,
        "OTPAUTH_ENV": "development",
        "SECRET_KEY": app.config["SECRET_KEY"],
        "DATABASE_URL": database_url,
        "REDIS_URL": TEST_REDIS_URL,
        "DELIVERY_MODE": "queue",
        "EMAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_DEFAULT_SENDER": app.config["MAIL_DEFAULT_SENDER"],
        "PUBLIC_HOST": app.config["PUBLIC_HOST"],
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker"]
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # it ended meanwhile
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def workers(app) -> int:  # noqa: ANN001
    with app.app_context():
        return queue_stats()[1]


def test_a_sigkilled_worker_leaves_nothing_behind_and_the_next_one_sends(
    app, client, auth, customer, smtp_server, database_url, tmp_path
):
    log = tmp_path / "worker.log"
    first = start_worker(app, database_url, smtp_server.port, log)
    try:
        assert until(lambda: workers(app) == 1), log.read_text()
        assert children(first.pid) == []  # no scheduler child to orphan
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert until(lambda: workers(app) == 0)  # within the heartbeat's 15 s
        report = client.get("/healthz")
        assert report.status_code == 200
        assert report.get_json()["problem"] == "no delivery worker"
    finally:
        first.kill()
    second = start_worker(app, database_url, smtp_server.port, log)
    try:
        auth.request()
        assert until(lambda: smtp_server.received), log.read_text()
        assert smtp_server.received[0].rcpt_tos == ["test@example.com"]
        with app.app_context():
            assert get_queue().count == 0
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert "Traceback" not in log.read_text()


def test_a_killed_workers_scheduler_lock_is_taken_over_at_once(app, redis_client):
    """The lock names its holder; one that no longer beats does not hold up the retries."""
    with app.app_context():
        worker = build_worker(app)
    key = RQScheduler.get_locking_key(worker.queues[0].name)
    redis_client.set(key, "killed-worker", ex=61)  # what a SIGKILLed worker leaves
    pulse = Pulse(worker.name, worker.queues, worker.connection, Outage())
    pulse.tick()
    assert redis_client.get(key) == worker.name.encode()
    beat(redis_client, "live-worker")
    redis_client.set(key, "live-worker", ex=61)
    other = Pulse("another", worker.queues, worker.connection, Outage())
    other.tick()
    assert redis_client.get(key) == b"live-worker"  # a live holder keeps it


def test_the_overview_shows_live_workers_plainly_and_none_as_a_warning(app, as_support):
    html = as_support.get("/admin/").get_data(as_text=True)
    assert 'data-problem="no-worker"' in html and "0: no delivery worker" in html
    with app.app_context():
        beat(get_queue().connection, "worker-1")
    html = as_support.get("/admin/").get_data(as_text=True)
    assert "Workers</dt><dd>1</dd>" in html and "no-worker" not in html
