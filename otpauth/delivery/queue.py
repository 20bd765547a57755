"""Queue mode: each code becomes an RQ job, sent by ``flask --app wsgi worker``.

Every issued code is enqueued, a stranger's too: the request does the same work for
everyone, and the worker drops a job with no recipient. The job's keys live no longer than
the code it carries: the job ``ttl`` (time allowed in the queue), ``failure_ttl`` (a
failed job kept for inspection) and the sealed job's deadline are all the code's lifetime,
and a sent job's result is not kept.
"""

from __future__ import annotations

import math
import time

import redis
from flask import current_app
from rq import Queue
from rq.worker_registration import WORKERS_BY_QUEUE_KEY

from ..redis import queue_redis
from .base import SendJob
from .sealing import seal

QUEUE_NAME = "otpauth-delivery"
JOB_FUNCTION = "otpauth.delivery.jobs.deliver"


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
        # Every key we write has a TTL, RQ's two bookkeeping keys included. Safe: every
        # job in the queue dies within ``ttl`` of its enqueueing, so when the list
        # expires, nothing live is in it; the worker pops from the list by name.
        pipe.expire(queue.key, ttl)
        pipe.expire(Queue.redis_queues_keys, ttl)
        pipe.execute()  # one round trip for the job and its queue
    return rq_job.id


def queue_stats() -> tuple[int, int]:
    """Jobs waiting, and live workers on the delivery queue.

    A worker killed outright stays in RQ's registration set until another cleans it up, so
    only members whose heartbeat key still exists count.
    """
    queue = get_queue()
    connection = queue.connection
    pipe = connection.pipeline(transaction=False)
    pipe.llen(queue.key)
    pipe.smembers(WORKERS_BY_QUEUE_KEY % QUEUE_NAME)
    depth, members = pipe.execute()
    if not members:
        return int(depth), 0
    pipe = connection.pipeline(transaction=False)
    for member in members:
        pipe.exists(member)
    return int(depth), sum(pipe.execute())
