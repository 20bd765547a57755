"""REDIS_URL and QUEUE_REDIS_URL: a server, a Redis Cluster or Sentinel; bad ones stop the start."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import config
from config import ConfigError
from otpauth.platform.redis import limiter_storage
from otpauth.platform.redis_urls import RedisTarget, parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("redis://127.0.0.1:6379/3", RedisTarget("plain", url="redis://127.0.0.1:6379/3")),
        ("unix:///run/redis.sock?db=2", RedisTarget("plain", url="unix:///run/redis.sock?db=2")),
        (
            "redis+cluster://10.0.0.1:7000,10.0.0.2:7001,10.0.0.3",
            RedisTarget(
                "cluster", nodes=(("10.0.0.1", 7000), ("10.0.0.2", 7001), ("10.0.0.3", 6379))
            ),
        ),
        (
            "redis+cluster://s3cret@[::1]:7000",
            RedisTarget("cluster", nodes=(("::1", 7000),), password="s3cret"),
        ),
        (
            "redis+sentinel://s3cret@h1:26379,h2/otp-master/4",
            RedisTarget(
                "sentinel",
                nodes=(("h1", 26379), ("h2", 26379)),
                service="otp-master",
                db=4,
                password="s3cret",
            ),
        ),
        (
            "redis+sentinel://app:pw%40x@h1:5000/mymaster",
            RedisTarget(
                "sentinel",
                nodes=(("h1", 5000),),
                service="mymaster",
                username="app",
                password="pw@x",
            ),
        ),
    ],
)
def test_urls_name_their_targets(url, target):
    assert parse("REDIS_URL", url) == target


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379",
        "127.0.0.1:6379",
        "redis://127.0.0.1:port/0",
        "redis://127.0.0.1:6379/notadb",
        "redis+cluster://",
        "redis+cluster://h1:7000,,h2:7001",
        "redis+cluster://h1:99999",
        "redis+cluster://h1:7000/3",
        "redis+sentinel://h1:26379",
        "redis+sentinel://h1:26379/svc/x",
        "redis+sentinel://h1:26379/svc/1/2",
    ],
)
def test_malformed_urls_are_a_config_error_naming_the_variable(url):
    with pytest.raises(ConfigError) as caught:
        parse("QUEUE_REDIS_URL", url)
    message = str(caught.value)
    assert "QUEUE_REDIS_URL" in message and "\n" not in message


def test_the_error_never_shows_the_password():
    with pytest.raises(ConfigError) as caught:
        parse("REDIS_URL", "redis://:hunter2-secret@127.0.0.1:nope/0")
    assert "hunter2" not in str(caught.value)


def test_limiter_storage_matches_cluster_and_sentinel():
    cluster = parse("REDIS_URL", "redis+cluster://pw@h1:7000,h2:7001")
    uri, options = limiter_storage(None, cluster)
    assert uri == "redis+cluster://h1:7000,h2:7001" and options["password"] == "pw"
    sentinel = parse("REDIS_URL", "redis+sentinel://h1:26379/svc/2")
    uri, options = limiter_storage(None, sentinel)
    assert uri == "redis+sentinel://h1:26379/svc"
    assert options["db"] == 2 and options["use_replicas"] is False


def _start(command: list[str], **settings: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in config.PARSERS}
    env.update(OTPAUTH_ENV="development", **settings)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_bad_redis_url_stops_the_start_with_one_line():
    result = _start([sys.executable, "-c", "import wsgi"], REDIS_URL="redis://127.0.0.1:port/0")
    assert result.returncode == 4  # gunicorn: "App failed to load", no respawning
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "otpauth: configuration error: REDIS_URL is not a valid Redis URL: "
        "Port could not be cast to integer value as 'port'"
    )


def test_cluster_queue_in_queue_mode_is_refused_with_one_line():
    result = _start(
        [sys.executable, "-c", "import wsgi"],
        REDIS_URL="redis://127.0.0.1:6379/14",
        QUEUE_REDIS_URL="redis+cluster://127.0.0.1:7101",
        DELIVERY_MODE="queue",
    )
    assert result.returncode == 4 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("otpauth: configuration error: QUEUE_REDIS_URL") and "RQ" in last


def test_gunicorn_stops_on_a_bad_queue_redis_url():
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    result = _start(
        [gunicorn, "--bind", "127.0.0.1:0", "wsgi:app"],
        QUEUE_REDIS_URL="redis+sentinel://127.0.0.1:26379",
    )
    assert result.returncode != 0
    assert "QUEUE_REDIS_URL is not a valid Redis URL" in result.stderr
    assert "Traceback" not in result.stderr
