"""``flask --app wsgi worker``: the process that sends queued messages (DELIVERY_MODE=queue).

It is an RQ ``SimpleWorker``: jobs run in this process rather than a fork per job, so the
SMTP connection and Twilio's HTTP session live on between messages (the sender objects are
the app's). Each job runs inside an app context of its own (fresh database session).
"""

from __future__ import annotations

from typing import Any

import click
import redis
from flask import Flask, current_app
from flask.cli import with_appcontext
from rq import SimpleWorker
from rq.job import Job
from rq.queue import Queue

from ..redis import get_redis
from .queue import get_queue


class AppWorker(SimpleWorker):
    """A SimpleWorker that performs each job inside ``app``'s context."""

    def __init__(self, queues: list[Queue], *, app: Flask, **kwargs: Any) -> None:
        # The description is fixed per job and never carries arguments; still, keep it out.
        kwargs.setdefault("log_job_description", False)
        super().__init__(queues, **kwargs)
        self.flask_app = app

    def execute_job(self, job: Job, queue: Queue) -> None:
        with self.flask_app.app_context():
            super().execute_job(job, queue)


def worker_connection(client: redis.Redis) -> redis.Redis:
    """A client of its own on the app's server: RQ raises its socket timeout for blocking
    pops, which must not leak into the app's client (whose short timeout keeps pages fast)."""
    pool = client.connection_pool
    return redis.Redis(
        connection_pool=redis.ConnectionPool(
            connection_class=pool.connection_class, **pool.connection_kwargs
        )
    )


def build_worker(app: Flask) -> AppWorker:
    """The worker for ``app``'s delivery queue; refused on the embedded Redis."""
    from . import uses_embedded_redis

    if uses_embedded_redis(app):
        raise click.ClickException(
            "the worker needs REDIS_URL: the embedded Redis lives in the web process only"
        )
    connection = worker_connection(app.extensions["otpauth.redis"])
    return AppWorker([get_queue(connection)], connection=connection, app=app)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Send what is queued now, then exit.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Send queued codes (DELIVERY_MODE=queue), with retries and backoff."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        get_redis().ping()  # fail now, with one clear line, if Redis is unreachable
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis at REDIS_URL: {exc}") from None
    build_worker(app).work(burst=burst, with_scheduler=True, logging_level="INFO")
