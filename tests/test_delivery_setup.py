"""Delivery set-up: the worker command, and queue mode refused where it cannot work."""

from __future__ import annotations

import time

import fakeredis
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from config import ConfigError
from otpauth import create_app
from otpauth.delivery import SendJob
from otpauth.delivery.sealing import Unreadable, seal, unseal
from tests.smtp_server import free_port


def test_worker_command_is_registered(runner):
    result = runner.invoke(args=["worker", "--help"])
    assert result.exit_code == 0
    assert "--burst" in result.output


@pytest.mark.parametrize("backend", ["embedded"], indirect=True)
def test_worker_refuses_the_embedded_redis(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "the worker needs REDIS_URL" in result.output


def test_worker_with_redis_down_says_so_in_one_line(sqlite_url):
    dead = redis.Redis(port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    app = create_app({"DATABASE_URL": sqlite_url, "REDIS_CLIENT": dead, "REDIS_URL": "redis://x"})
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 1
    assert "Error: cannot reach Redis at REDIS_URL" in result.output
    assert "Traceback" not in result.output


def test_queue_mode_refuses_the_embedded_redis(sqlite_url):
    with pytest.raises(ConfigError) as caught:
        create_app(
            {
                "DATABASE_URL": sqlite_url,
                "REDIS_CLIENT": fakeredis.FakeRedis(),
                "DELIVERY_MODE": "queue",
            }
        )
    assert "DELIVERY_MODE=queue needs REDIS_URL" in str(caught.value)


def test_unreachable_queue_is_a_redis_error_for_every_contact(sqlite_url):
    """Every contact's code is enqueued, so a queue outage is the request's 503 for all
    (the error page for Redis outages), never an answer that differs by contact."""
    dead = redis.Redis(port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    app = create_app({"DATABASE_URL": sqlite_url, "REDIS_CLIENT": dead, "DELIVERY_MODE": "queue"})
    from otpauth.delivery.queue import enqueue

    job = SendJob("email", "tag", "id1", "123456", "", time.time() + 60)
    with app.app_context(), pytest.raises(redis.ConnectionError):
        enqueue(job)


def test_sealed_job_opens_only_with_the_same_key():
    job = SendJob("email", "tag", "id1", "123456", "7", time.time() + 60)
    token = seal("key-one-0123456789", job)
    assert b"123456" not in token
    assert unseal("key-one-0123456789", token) == job
    with pytest.raises(Unreadable):
        unseal("key-two-0123456789", token)
