"""Queue mode: each message becomes an RQ job on the app's Redis, sent by the worker.

The job's keys live no longer than the code the message carries: the job ``ttl`` (time
allowed in the queue), ``failure_ttl`` (a failed job kept for inspection) and the sealed
payload's deadline are all the code's lifetime, and a sent job's result is not kept.
"""

from __future__ import annotations

import redis
from flask import current_app
from rq import Queue

from ..redis import queue_redis
from .base import DeliveryError, Message
from .sealing import seal

QUEUE_NAME = "otpauth-delivery"
JOB_FUNCTION = "otpauth.delivery.jobs.deliver"


def get_queue(connection: redis.Redis | None = None) -> Queue:
    """The delivery queue on ``connection`` (default: the app's Redis)."""
    return Queue(QUEUE_NAME, connection=connection if connection is not None else queue_redis())


def enqueue(channel: str, message: Message, *, ttl: int) -> str:
    """Hand ``message`` to the worker; answer the job id. ``ttl``: the code's lifetime."""
    token = seal(current_app.config["SECRET_KEY"], channel, message, ttl)
    queue = get_queue()
    try:
        with queue.connection.pipeline() as pipe:
            job = queue.enqueue_call(
                JOB_FUNCTION,
                args=(token,),
                # RQ logs the description; the default one would show the call's arguments.
                description=f"otpauth: deliver {channel} code",
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
    except redis.RedisError as exc:
        # The customer is told to try again, and the service releases the cooldown.
        reason = f"delivery queue unavailable: {type(exc).__name__}"
        raise DeliveryError(reason, temporary=True) from exc
    return job.id
