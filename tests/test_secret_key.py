"""No public keys: development generates its key once per instance; real services warn."""

from __future__ import annotations

import logging
import os
import stat

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

import config
from config import ConfigError


def dev_settings(instance: str, **environ: str) -> dict:
    return config.finalize(config.load({"OTPAUTH_ENV": "development", **environ}), instance)


def test_development_generates_a_key_once_and_keeps_it(tmp_path):
    first = dev_settings(str(tmp_path))["SECRET_KEY"]
    again = dev_settings(str(tmp_path))["SECRET_KEY"]  # a restart
    assert first == again and len(first) >= 64
    key_file = tmp_path / config.SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == first


def test_two_instances_never_share_a_key(tmp_path):
    one = dev_settings(str(tmp_path / "one"))["SECRET_KEY"]
    two = dev_settings(str(tmp_path / "two"))["SECRET_KEY"]
    assert one != two
    assert one not in config.PUBLISHED_KEYS and two not in config.PUBLISHED_KEYS


def test_a_key_file_left_readable_by_others_is_tightened(tmp_path):
    key = dev_settings(str(tmp_path))["SECRET_KEY"]
    os.chmod(tmp_path / config.SECRET_KEY_FILE, 0o644)
    assert dev_settings(str(tmp_path))["SECRET_KEY"] == key
    assert stat.S_IMODE((tmp_path / config.SECRET_KEY_FILE).stat().st_mode) == 0o600


def test_an_empty_key_file_stops_the_start(tmp_path):
    (tmp_path / config.SECRET_KEY_FILE).write_text("")
    with pytest.raises(ConfigError, match="delete it"):
        dev_settings(str(tmp_path))


def test_an_explicit_key_is_used_and_nothing_is_written(tmp_path):
    settings = dev_settings(str(tmp_path), SECRET_KEY="an-explicit-key-from-the-environment")
    assert settings["SECRET_KEY"] == "an-explicit-key-from-the-environment"
    assert not (tmp_path / config.SECRET_KEY_FILE).exists()


def test_testing_apps_draw_their_own_keys(tmp_path):
    keys = {config.finalize(config.load({"OTPAUTH_ENV": "testing"}), "")["SECRET_KEY"]}
    keys.add(config.finalize(config.load({"OTPAUTH_ENV": "testing"}), "")["SECRET_KEY"])
    assert len(keys) == 2


@pytest.mark.parametrize("published", config.PUBLISHED_KEYS)
def test_production_refuses_a_published_key(published):
    environ = {"OTPAUTH_ENV": "production", "SECRET_KEY": published, "REDIS_URL": "redis://x"}
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        config.finalize(config.load(environ), "/tmp/unused")


def test_source_holds_no_working_key():
    assert not hasattr(config, "DEV_SECRET_KEY")
    for profile in config.PROFILES.values():
        assert profile.SECRET_KEY is None


def forged_cookie(key: str, data: dict) -> str:
    """A session cookie signed with ``key``, as an attacker who read the source would make."""
    forger = Flask("forger")
    forger.secret_key = key
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(data)


@pytest.mark.parametrize("key", config.PUBLISHED_KEYS)
def test_a_cookie_forged_with_a_published_key_opens_nothing(app, client, customer, key):
    client.set_cookie("otpauth_session", forged_cookie(key, {"_user_id": str(customer)}))
    assert client.get("/dashboard/").status_code == 302


def test_even_a_validly_signed_user_id_without_a_session_opens_nothing(app, client, customer):
    client.set_cookie(
        "otpauth_session", forged_cookie(app.secret_key, {"_user_id": str(customer), "_fresh": 1})
    )
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"DATABASE_URL": "postgresql+psycopg://u@db.example.com/otpauth"}, ["DATABASE_URL"]),
        ({"REDIS_URL": "redis://cache.example.com:6379/0"}, ["REDIS_URL"]),
        ({"REDIS_URL": "redis+cluster://10.0.0.1:7000,10.0.0.2:7000"}, ["REDIS_URL"]),
        (
            {"REDIS_URL": "redis://127.0.0.1:6379/0", "QUEUE_REDIS_URL": "redis://q.example"},
            ["QUEUE_REDIS_URL"],
        ),
        ({"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/x"}, []),
        ({"REDIS_URL": "redis://localhost:6379/0"}, []),
        ({"REDIS_URL": "unix:///run/redis.sock"}, []),
    ],
)
def test_real_services_outside_production_are_named_at_start(tmp_path, environ, named):
    warnings = config.start_warnings(dev_settings(str(tmp_path), **environ))
    assert [w.split()[0] for w in warnings] == named


def test_production_does_not_warn():
    environ = {
        "OTPAUTH_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "REDIS_URL": "redis://cache.example.com:6379/0",
        "MAIL_SERVER": "smtp.example.org",
        "MAIL_DEFAULT_SENDER": "no-reply@example.org",
    }
    assert config.start_warnings(config.finalize(config.load(environ), "/tmp/unused")) == []


def test_the_warning_is_logged_when_the_app_starts(redis_client, caplog):
    from otpauth import create_app

    remote = "postgresql+psycopg://u@db.example.com:1/otpauth"
    with caplog.at_level(logging.WARNING, logger="otpauth"):
        create_app({"DATABASE_URL": remote, "REDIS_CLIENT": redis_client})
    lines = [r.getMessage() for r in caplog.records if "non-local" in r.getMessage()]
    assert len(lines) == 1 and "DATABASE_URL" in lines[0] and "db.example.com" not in lines[0]


def _dev_process_key(root: str) -> str:
    """Start the development app in a new process, its instance directory under ``root``."""
    import subprocess
    import sys

    from otpauth import ROOT

    env = {k: v for k, v in os.environ.items() if k not in config.PARSERS}
    env.update(OTPAUTH_ENV="development", DATABASE_URL=f"sqlite:///{root}/x.sqlite")
    script = (
        "import sys, otpauth; otpauth.ROOT = sys.argv[1]; print(otpauth.create_app().secret_key)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, root],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_a_restarted_development_process_keeps_its_key(tmp_path):
    first, again = _dev_process_key(str(tmp_path / "a")), _dev_process_key(str(tmp_path / "a"))
    other = _dev_process_key(str(tmp_path / "b"))
    assert first == again and first != other and len(first) >= 64
    assert (tmp_path / "a" / "instance" / config.SECRET_KEY_FILE).read_text().strip() == first
