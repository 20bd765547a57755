"""The command group every ops command belongs to: an outage is one clear line."""

from __future__ import annotations

import click
import redis
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError


class OpsGroup(AppGroup):
    """A command group that turns a database outage into one clear line, not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SQLAlchemyError as exc:
            # No rollback here: the command's app context is already gone, and its teardown
            # has removed the session.
            raise click.ClickException(
                f"database error ({type(exc).__name__}); is DATABASE_URL right and "
                "has `flask --app wsgi db upgrade` been run?"
            ) from None
        except redis.RedisError as exc:
            raise click.ClickException(
                f"redis error ({type(exc).__name__}); is REDIS_URL right and Redis running?"
            ) from None
