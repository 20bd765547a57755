"""``flask db backup FILE``: a consistent copy of the database, taken while it runs.

SQLite: the backup API copies the pages under SQLite's own locking, so writers may go on
and the copy is one consistent moment, WAL included; the copy is switched to the rollback
journal, so the one file is the whole database. PostgreSQL: ``pg_dump`` is the tool (its
own consistent snapshot, a format ``pg_restore`` reads); the command prints the line to run.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from contextlib import closing

import click
from flask import Flask
from flask_migrate.cli import db as db_group
from sqlalchemy.engine import URL

from ..platform.extensions import db


def copy_sqlite(source: str, target: str) -> int:
    """Copy the SQLite database ``source`` into the new file ``target``; its page count."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
        return dst.execute("PRAGMA page_count").fetchone()[0]


def pg_dump_line(url: URL, target: str) -> str:
    """The ``pg_dump`` command for ``url`` (the password left to PGPASSWORD or ~/.pgpass)."""
    plain = URL.create(
        "postgresql", url.username, host=url.host, port=url.port, database=url.database
    )
    uri = plain.render_as_string(hide_password=False)
    return f"pg_dump --format=custom --file {shlex.quote(target)} {shlex.quote(uri)}"


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, writable=True))
def backup(target: str) -> None:
    """Copy the database to TARGET (SQLite), or print the pg_dump line (PostgreSQL)."""
    url = db.engine.url
    if url.get_backend_name() == "postgresql":
        click.echo("PostgreSQL: run pg_dump (restore with pg_restore):")
        click.echo(pg_dump_line(url, target))
        return
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        raise click.ClickException(f"no backup for a {url.get_backend_name()} database here")
    if os.path.exists(target):
        raise click.ClickException(f"{target} exists; give a new file name")
    try:
        pages = copy_sqlite(url.database, target)
    except sqlite3.Error as exc:
        if os.path.exists(target):
            os.unlink(target)
        raise click.ClickException(f"backup failed: {exc}") from None
    click.echo(f"copied {url.database} to {target} ({pages} pages)")


def init_app(app: Flask) -> None:
    """Add ``backup`` to Flask-Migrate's ``db`` group (``flask db backup FILE``)."""
    db_group.add_command(backup)
