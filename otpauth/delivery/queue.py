"""Queue mode: each code becomes an RQ job, sent by ``flask --app wsgi worker``.

Every issued code is enqueued, a stranger's too: the request does the same work for
everyone, and the worker drops a job with no recipient. The job's keys live no longer than
the code it carries: the job ``ttl`` (time allowed in the queue), ``failure_ttl`` (a
failed job kept for inspection) and the sealed job's deadline are all the code's lifetime,
and a sent job's result is not kept.

Workers prove they live by ``beat`` (``pulse`` calls it every ``BEAT_SECONDS``), and
``queue_stats`` counts those that beat lately: /healthz, /metrics and the console read it.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

import redis
from flask import current_app
from rq import Queue

from ..platform.redis import queue_redis
from .base import SendJob
from .sealing import seal

QUEUE_NAME = "otpauth-delivery"
JOB_FUNCTION = "otpauth.delivery.jobs.deliver"
TIMER_FUNCTION = "otpauth.delivery.jobs.fall_back"  # a WhatsApp code's fallback, when due
# Live workers: sorted set of worker name -> last beat (epoch s) [TTL: LIVE_SECONDS].
WORKERS_KEY = "delivery:{workers}"
BEAT_SECONDS = 5  # how often each worker beats
LIVE_SECONDS = 15  # a worker silent this long is not counted (three beats missed)


def queue_connection() -> redis.Redis:
    """The Redis that holds the job queue (QUEUE_REDIS_URL, by default the app's Redis)."""
    return queue_redis()


def get_queue(connection: redis.Redis | None = None) -> Queue:
    """The delivery queue on ``connection`` (default: ``queue_connection()``)."""
    return Queue(
        QUEUE_NAME, connection=connection if connection is not None else queue_connection()
    )


def enqueue(job: SendJob) -> str:
    """Hand ``job`` to the worker; answer the RQ job id. Redis errors propagate (503)."""
    ttl = max(math.ceil(job.deadline - time.time()), 1)
    token = seal(current_app.config["SECRET_KEY"], job)
    queue = get_queue()
    with queue.connection.pipeline() as pipe:
        rq_job = queue.enqueue_call(
            JOB_FUNCTION,
            args=(token,),
            # RQ logs the description; the default one would show the call's arguments.
            description=f"otpauth: deliver {job.channel} code",
            ttl=ttl,
            failure_ttl=ttl,
            result_ttl=0,
            timeout=current_app.config["DELIVERY_JOB_TIMEOUT"],
            pipeline=pipe,
        )
        if job.fallback_at:  # RQ's scheduler (the worker's pulse) runs it when due
            timer = queue.create_job(
                TIMER_FUNCTION,
                args=(token,),
                description=f"otpauth: {job.channel} fallback timer",
                ttl=ttl,
                failure_ttl=ttl,
                result_ttl=0,
                timeout=current_app.config["DELIVERY_JOB_TIMEOUT"],
            )
            queue.schedule_job(timer, datetime.fromtimestamp(job.fallback_at, UTC), pipeline=pipe)
        # Every key we write has a TTL, RQ's two bookkeeping keys included. Safe: every
        # job in the queue dies within ``ttl`` of its enqueueing, so when the list
        # expires, nothing live is in it; the worker pops from the list by name.
        pipe.expire(queue.key, ttl)
        pipe.expire(Queue.redis_queues_keys, ttl)
        pipe.execute()  # one round trip for the job and its queue
    return rq_job.id


def beat(connection: redis.Redis, name: str, now: float | None = None) -> None:
    """Worker ``name`` is alive now: one round trip, every ``BEAT_SECONDS`` (``pulse``).

    A sorted set of workers by their last beat, kept ``LIVE_SECONDS``: a worker killed
    outright stops counting within that (RQ's own registration lives 420 s), and a flushed
    Redis has the worker counted again at its next beat.
    """
    now = time.time() if now is None else now
    with connection.pipeline(transaction=False) as pipe:
        pipe.zadd(WORKERS_KEY, {name: now})
        pipe.zremrangebyscore(WORKERS_KEY, "-inf", now - LIVE_SECONDS)
        pipe.expire(WORKERS_KEY, LIVE_SECONDS)
        pipe.execute()


def alive(connection: redis.Redis, name: str, now: float | None = None) -> bool:
    """Whether worker ``name`` beat within ``LIVE_SECONDS``."""
    last = connection.zscore(WORKERS_KEY, name)
    return last is not None and last >= (time.time() if now is None else now) - LIVE_SECONDS


def forget(connection: redis.Redis, name: str) -> None:
    """Worker ``name`` stopped on purpose: it stops counting at once."""
    connection.zrem(WORKERS_KEY, name)


def queue_stats(now: float | None = None) -> tuple[int, int]:
    """Jobs waiting, and workers that beat within ``LIVE_SECONDS``: one round trip."""
    now = time.time() if now is None else now
    queue = get_queue()
    with queue.connection.pipeline(transaction=False) as pipe:
        pipe.llen(queue.key)
        pipe.zcount(WORKERS_KEY, now - LIVE_SECONDS, "+inf")
        depth, workers = pipe.execute()
    return int(depth), int(workers)
