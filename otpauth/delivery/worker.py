"""``flask --app wsgi worker``: the process that sends queued codes (DELIVERY_MODE=queue).

It is an RQ ``SimpleWorker``: jobs run in this process rather than a fork per job, so the
SMTP connection and Twilio's HTTP session live on between messages (the sender objects are
the app's). Each job runs inside an app context of its own (fresh database session).
The log has one line per message, the policy's (masked contact, channel, outcome,
latency); RQ's own per-job lines are turned down to warnings.

One process, no children: RQ's scheduler runs on a thread of it (``pulse``, which says why),
with the heartbeat; the ledger's sweep runs on another (``ledger``). When RQ's loop gives up
on a Redis error, the worker waits for Redis and serves again rather than exiting; a Redis
outage is one line when it starts and one when it ends.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import click
import redis
from flask import Flask, current_app
from flask.cli import with_appcontext
from rq import SimpleWorker
from rq.job import Job
from rq.queue import Queue
from rq.worker_registration import REDIS_WORKER_KEYS, WORKERS_BY_QUEUE_KEY
from sqlalchemy.exc import SQLAlchemyError

from ..platform.extensions import db
from ..platform.redis import connect
from .jobs import DeliveryFailed
from .ledger import SWEEPER_KEY
from .pulse import Outage, Pulse, QuietOutages
from .queue import get_queue, queue_connection
from .service import uses_embedded_redis

log = logging.getLogger(__name__)


class AppWorker(SimpleWorker):
    """A SimpleWorker that performs each job inside ``app``'s context, and keeps a TTL on
    every key RQ writes."""

    log_result_lifespan = False
    # RQ waits up to 60 s between tries at a lost Redis: back to work within 2 s instead
    # (its lines about it are filtered; ``pulse.Outage`` says it once).
    max_connection_wait_time = 2.0

    def __init__(self, queues: list[Queue], *, app: Flask, **kwargs: Any) -> None:
        # The description is fixed per job and never carries arguments; still, keep it out.
        kwargs.setdefault("log_job_description", False)
        super().__init__(queues, **kwargs)
        self.flask_app = app
        self.stop_asked = False  # a signal asked it to stop (else a Redis error ended work)

    def request_stop(self, signum: Any = None, frame: Any = None) -> None:
        self.stop_asked = True
        super().request_stop(signum, frame)

    def execute_job(self, job: Job, queue: Queue) -> None:
        with self.flask_app.app_context():
            try:
                super().execute_job(job, queue)
            finally:
                end_session()
        self.expire_bookkeeping(queue)

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        """A give-up was logged by the policy in one line: no traceback for it."""
        if isinstance(exc_info[1], DeliveryFailed):
            return
        super().handle_exception(job, *exc_info)

    def expire_bookkeeping(self, queue: Queue) -> None:
        """RQ's registries (failed, finished, ...) have no TTL of their own: give them one.

        Every entry in them dies within the code's lifetime of its job's enqueueing, so a
        registry untouched for that long holds nothing live.
        """
        ttl = (
            self.flask_app.config["OTP_TTL_SECONDS"] + self.flask_app.config["DELIVERY_JOB_TIMEOUT"]
        )
        registries = (
            queue.failed_job_registry,
            queue.finished_job_registry,
            queue.started_job_registry,
            queue.scheduled_job_registry,
            queue.deferred_job_registry,
            queue.canceled_job_registry,
        )
        with self.connection.pipeline(transaction=False) as pipe:
            for registry in registries:
                pipe.expire(registry.key, ttl)
            pipe.execute()

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """RQ's heartbeat, plus a TTL on its worker sets: a killed worker's sets expire."""
        super().heartbeat(timeout, pipeline)
        connection = pipeline if pipeline is not None else self.connection
        ttl = (timeout or self.worker_ttl + 60) + 60
        connection.expire(REDIS_WORKER_KEYS, ttl)
        for queue in self.queues:
            connection.expire(WORKERS_BY_QUEUE_KEY % queue.name, ttl)


def end_session() -> None:
    """Close the job's database session before the app context's teardown would.

    The job is done (its outcome recorded); if its connection died meanwhile (PostgreSQL
    restarted, its backend terminated), the rollback on close fails, and raised from the
    teardown it would end RQ's loop. Closing again discards the dead connection.
    """
    try:
        db.session.remove()
    except SQLAlchemyError as exc:
        log.warning("delivery worker: a job's database connection was gone: %s", type(exc).__name__)
        db.session.remove()


def worker_connection(client: redis.Redis, url: str | None = None) -> redis.Redis:
    """A client of its own on the queue's server: RQ raises its socket timeout for blocking
    pops, which must not leak into the app's client (whose short timeout keeps pages fast).

    From ``url`` (QUEUE_REDIS_URL) when there is one, so a Sentinel-managed queue gets a
    Sentinel client again (its pool cannot be copied); else a copy of ``client``'s pool.
    """
    if url:
        return connect(url, "QUEUE_REDIS_URL")  # type: ignore[return-value]
    pool = client.connection_pool
    return redis.Redis(
        connection_pool=redis.ConnectionPool(
            connection_class=pool.connection_class, **pool.connection_kwargs
        )
    )


def build_worker(app: Flask) -> AppWorker:
    """The worker for ``app``'s delivery queue; refused on the embedded Redis."""
    if uses_embedded_redis(app):
        raise click.ClickException(
            "the worker needs REDIS_URL: the embedded Redis lives in the web process only"
        )
    with app.app_context():
        connection = worker_connection(queue_connection(), app.config.get("QUEUE_REDIS_URL"))
    return AppWorker([get_queue(connection)], connection=connection, app=app)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Send what is queued now, then exit.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Send queued codes (DELIVERY_MODE=queue), with retries and backoff."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        queue_connection().ping()  # fail now, with one clear line, if Redis is unreachable
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis at REDIS_URL: {exc}") from None
    log.info("delivery worker: serving queue %s", get_queue().name)
    logging.getLogger("rq.worker").addFilter(QuietOutages())
    app.extensions[SWEEPER_KEY].ensure_started()
    outage = Outage()
    while not serve(app, outage, burst):
        time.sleep(1)  # whatever ended RQ's loop, never a busy loop of restarts
        wait_for_redis(queue_connection(), outage)


def serve(app: Flask, outage: Outage, burst: bool) -> bool:
    """Run RQ's loop with the pulse beside it; True when it ended as it should (a signal,
    burst done), False when a Redis error ended it."""
    worker = build_worker(app)
    pulse = Pulse(worker.name, worker.queues, worker.connection, outage)
    pulse.tick()  # counted from the start, and retries already due go first
    pulse.start()
    try:
        worker.work(burst=burst, logging_level="WARNING")
    except redis.RedisError as exc:  # raised outside RQ's own handling (its teardown)
        outage.down(exc)
    finally:
        pulse.stop()
    return burst or worker.stop_asked


def wait_for_redis(client: redis.Redis, outage: Outage) -> None:
    """Block until Redis answers (the outage was logged once already)."""
    while True:
        try:
            client.ping()
        except redis.RedisError as exc:
            outage.down(exc)
            time.sleep(1)
            continue
        outage.up()
        return
