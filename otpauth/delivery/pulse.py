"""The worker's second thread: its heartbeat and the retries that fall due; Redis outages.

Why no RQ scheduler process: RQ's ``work(with_scheduler=True)`` forks a scheduler child
that moves due retries (``Retry`` with an interval) into the queue. It raised during a
Redis outage and stayed a zombie (retries never ran, nothing said so), and a SIGKILLed
worker left it orphaned, holding the dead worker's connection and taking jobs. Here the
same RQ steps (``RQScheduler``'s lock, heartbeat and ``enqueue_scheduled_jobs``) run every
second on a thread of the worker process itself: it cannot outlive the worker, a Redis
error is caught and retried on the next tick, and RQ's lock keeps two workers from
enqueueing one retry twice (a lock whose holder stopped beating is freed at once). A
retry lost anyway (Redis restarted empty) is found by the ledger's sweep (``ledger``) and
audited ``lost``.

The same tick beats the worker's heartbeat (``queue.beat``) every ``BEAT_SECONDS``, and
``Outage`` makes a Redis outage one log line when it starts and one when it ends.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
from rq.queue import Queue
from rq.scheduler import RQScheduler
from rq.scripts import release_lock

from ..platform.logs import scrubbed_traceback
from .queue import BEAT_SECONDS, alive, beat, forget

log = logging.getLogger(__name__)
TICK_SECONDS = 1.0  # RQ's own scheduler interval


class Outage:
    """Says "lost Redis" once when an outage starts and "Redis back after N s" when it ends."""

    def __init__(self) -> None:
        self.since: float | None = None
        self._lock = threading.Lock()

    def down(self, exc: BaseException) -> None:
        with self._lock:
            if self.since is not None:
                return
            self.since = time.monotonic()
        log.error("delivery worker: lost Redis: %s: %s", type(exc).__name__, exc)

    def up(self) -> None:
        with self._lock:
            if self.since is None:
                return
            seconds, self.since = time.monotonic() - self.since, None
        log.warning("delivery worker: Redis back after %.0f s", seconds)


class QuietOutages(logging.Filter):
    """Drops RQ's own lines about a lost Redis (one every few seconds, some with a
    traceback): ``Outage`` reports the outage once."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "could not connect to Redis" in str(record.msg):
            return False
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, redis.ConnectionError | redis.TimeoutError)


class Pulse:
    """Beats the heartbeat and moves due retries into the queue, on a daemon thread."""

    def __init__(
        self, name: str, queues: list[Queue], connection: redis.Redis, outage: Outage
    ) -> None:
        self.name, self.connection, self.outage = name, connection, outage
        self.queue_names = [queue.name for queue in queues]
        self.scheduler = RQScheduler(
            queues, connection=connection, logging_level="WARNING", name=name
        )
        self.stopped = threading.Event()
        self._next_beat = 0.0
        self._thread = threading.Thread(target=self._run, name="otpauth-pulse", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread; this worker stops counting and frees the scheduler lock."""
        self.stopped.set()
        self._thread.join(timeout=5)
        try:
            forget(self.connection, self.name)
            self.scheduler.release_locks()
        except redis.RedisError:
            pass  # their keys expire on their own

    def _run(self) -> None:
        while not self.stopped.wait(TICK_SECONDS):
            self.tick()

    def tick(self, now: float | None = None) -> None:
        """One beat (when due) and one scheduler pass; never raises."""
        now = time.time() if now is None else now
        try:
            if now >= self._next_beat:
                beat(self.connection, self.name, now)
                self._next_beat = now + BEAT_SECONDS
            self.enqueue_due()
        except redis.RedisError as exc:
            self.outage.down(exc)
            return
        except Exception as exc:  # a bug: said, and tried again next tick
            log.error("delivery worker: pulse failed: %s", scrubbed_traceback(exc))
            return
        self.outage.up()

    def enqueue_due(self) -> None:
        """RQ's scheduler step: hold (or take over) the lock, then enqueue due retries."""
        if not self.scheduler.acquired_locks:
            self.free_locks_of_the_dead()
            self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            self.scheduler.heartbeat()
            self.scheduler.enqueue_scheduled_jobs()

    def free_locks_of_the_dead(self) -> None:
        """A scheduler lock held by a worker that no longer beats (killed) is freed now,
        rather than when its TTL (61 s) runs out: retries due meanwhile are not held up.

        Each worker's scheduler is named after it, so the lock names its holder; RQ's own
        compare-and-delete frees it only if that holder still has it.
        """
        for queue_name in self.queue_names:
            key = RQScheduler.get_locking_key(queue_name)
            holder = self.connection.get(key)
            if isinstance(holder, bytes):
                holder = holder.decode()
            if holder and not alive(self.connection, holder):
                release_lock(self.connection, key, holder)
