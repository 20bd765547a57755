"""SQLite files that copy: the commands leave nothing in the -wal file, and ``db backup``."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

import config

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


def flask(database: str, *args: str) -> subprocess.CompletedProcess:
    """``flask --app wsgi ARGS`` in a process of its own, as ops run it."""
    env = {k: v for k, v in os.environ.items() if k not in config.PARSERS}
    env.update(OTPAUTH_ENV="testing", DATABASE_URL=database)
    result = subprocess.run(
        [*FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result


def names(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM customers ORDER BY id")]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """A database file made by ``db upgrade`` and ``customers create``, each a process."""
    path = tmp_path / "otpauth.sqlite"
    url = f"sqlite:///{path}"
    flask(url, "db", "upgrade")
    flask(url, "customers", "create", "--name", "Copied Co", "--phone", "9876543210")
    return path


def test_a_plain_copy_after_the_commands_has_the_customers(database, tmp_path):
    assert not Path(f"{database}-wal").exists() or Path(f"{database}-wal").stat().st_size == 0
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(database, copy)  # the database file alone, no -wal beside it
    assert names(copy) == ["Copied Co"]


def test_backup_copies_a_database_in_use(database, tmp_path):
    with closing(sqlite3.connect(database)) as writer:  # a writer holds the WAL open
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("UPDATE customers SET name = 'Renamed Co'")
        writer.commit()
        target = tmp_path / "backup.sqlite"
        result = flask(f"sqlite:///{database}", "db", "backup", str(target))
    assert "copied" in result.stdout
    assert not Path(f"{target}-wal").exists()
    assert names(target) == ["Renamed Co"]  # the committed change, though still in the WAL


def test_backup_never_overwrites(database, tmp_path):
    target = tmp_path / "taken.sqlite"
    target.write_bytes(b"keep me")
    env = {k: v for k, v in os.environ.items() if k not in config.PARSERS}
    env.update(OTPAUTH_ENV="testing", DATABASE_URL=f"sqlite:///{database}")
    result = subprocess.run(
        [*FLASK, "db", "backup", str(target)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1 and "exists" in result.stderr
    assert target.read_bytes() == b"keep me"


def test_postgresql_gets_the_pg_dump_line(tmp_path):
    url = "postgresql+psycopg://ops:secret@db.internal:5433/otpauth"
    result = flask(url, "db", "backup", str(tmp_path / "out dump"))
    line = result.stdout.splitlines()[-1]
    assert line.startswith("pg_dump --format=custom --file ")
    assert f"'{tmp_path / 'out dump'}'" in line
    assert "postgresql://ops@db.internal:5433/otpauth" in line and "secret" not in line
