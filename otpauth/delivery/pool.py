"""Inline mode's sender: a small, bounded pool of threads in the web process.

A send never runs on the request thread, nor after the response (``call_on_close`` would
still hold the keep-alive connection, so the next request on it would wait for the
provider). The request hands its job over in ``after_request`` (after the audit of the
request is written, so ``otp_sent`` follows ``otp_queued``) and answers at once, whether
the contact is a customer or not and whether the provider is up or not. The pool's threads
share the app's senders, so the SMTP connection is kept open across sends.

A job starts ``policy.send_delay()`` after its request (0.25-0.75 s by default,
DELIVERY_SEND_DELAY; the queue worker holds fresh jobs as long): the customer's browser
loads the next page meanwhile, and a send running beside that page load in this process
(the GIL) would make a customer's page slower than a stranger's. The delay counts from the
hand-over, so a backlog is not held and throughput does not suffer.

Bounded twice: ``WORKERS`` threads, and at most ``BACKLOG`` jobs waiting (beyond that a job
is dropped with a warning: the provider is far behind and the code would expire anyway).
Drained at interpreter exit (``atexit``), so a gunicorn worker finishing its requests
sends what it accepted before it goes.
"""

from __future__ import annotations

import atexit
import heapq
import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, g, has_request_context
from werkzeug.wrappers import Response

from ..platform.logs import scrubbed_traceback
from .base import SendJob
from .policy import deliver, send_delay

log = logging.getLogger(__name__)
WORKERS = 2
BACKLOG = 500
_POOLS: weakref.WeakSet[SendPool] = weakref.WeakSet()
PENDING = "otpauth_sends"  # ``g`` key: the request's jobs, handed over after the view


class SendPool:
    """Runs ``policy.deliver`` for each job on a thread of its own, in an app context."""

    def __init__(
        self,
        app: Flask,
        workers: int = WORKERS,
        backlog: int = BACKLOG,
        timer: Callable[[SendJob], object] | None = None,
    ) -> None:
        self.app = app
        self.workers = workers
        self.backlog = backlog
        self.timers = Timers(app, timer) if timer is not None else None
        self._executor: ThreadPoolExecutor | None = None
        self._idle = threading.Condition()
        self.pending = 0
        _POOLS.add(self)

    def submit(self, job: SendJob) -> None:
        """Queue ``job``; started lazily, so a forking server starts threads per worker."""
        with self._idle:
            if self.pending >= self.backlog:
                log.warning(
                    "delivery: inline backlog full (%d); a %s job dropped",
                    self.pending,
                    job.channel,
                )
                return
            self.pending += 1
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="otpauth-send")
            executor = self._executor
        executor.submit(self._run, job, time.monotonic())

    def _run(self, job: SendJob, handed_over: float) -> None:
        try:
            delay = send_delay(self.app.config["DELIVERY_SEND_DELAY"])
            wait = handed_over + delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)  # see the module docstring: after the next page load
            with self.app.app_context():
                deliver(job)
        except Exception as exc:  # a bug or an outage: logged without its message (contacts)
            log.error("delivery: inline %s job crashed: %s", job.channel, scrubbed_traceback(exc))
        finally:
            with self._idle:
                self.pending -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued job has run (tests, shutdown); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self.pending == 0, timeout)

    def later(self, when: float, job: SendJob) -> None:
        """Run the pool's timer for ``job`` at ``when`` (a WhatsApp code's fallback)."""
        if self.timers is not None:
            self.timers.at(when, job)

    def shutdown(self) -> None:
        """Finish the queued jobs and stop the threads (timers still waiting are dropped)."""
        if self.timers is not None:
            self.timers.stop()
        with self._idle:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)


class Timers:
    """Inline mode's timers (a WhatsApp code's fallback): one thread runs ``run(job)`` at
    each job's time, in an app context. A heap, not a thread per timer: every WhatsApp
    request sets one, a stranger's too."""

    def __init__(self, app: Flask, run: Callable[[SendJob], object]) -> None:
        self.app = app
        self.run = run
        self._heap: list[tuple[float, int, SendJob]] = []
        self._order = itertools.count()
        self._due = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def at(self, when: float, job: SendJob) -> None:
        """Run ``job``'s timer at ``when`` (epoch seconds)."""
        with self._due:
            if self._stopped:
                return
            heapq.heappush(self._heap, (when, next(self._order), job))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="otpauth-timers", daemon=True
                )
                self._thread.start()
            self._due.notify()

    def __len__(self) -> int:
        with self._due:
            return len(self._heap)

    def stop(self) -> None:
        """Drop the timers still waiting and end the thread (the app is going away)."""
        with self._due:
            self._stopped = True
            self._heap.clear()
            self._due.notify_all()

    def _next(self) -> SendJob | None:
        with self._due:
            while not self._stopped and (not self._heap or self._heap[0][0] > time.time()):
                self._due.wait(self._heap[0][0] - time.time() if self._heap else None)
            return None if self._stopped else heapq.heappop(self._heap)[2]

    def _loop(self) -> None:
        while (job := self._next()) is not None:
            try:
                with self.app.app_context():
                    self.run(job)
            except Exception as exc:  # an outage or a bug: logged, the next timer still runs
                log.error("delivery: %s timer failed: %s", job.channel, scrubbed_traceback(exc))


def defer(pool: SendPool, job: SendJob) -> None:
    """Hand ``job`` to the pool after this request's view (at once outside a request), and
    set its fallback timer, if it has one (every WhatsApp job, a stranger's too)."""
    if has_request_context():
        g.setdefault(PENDING, []).append(job)
    else:
        pool.submit(job)
    if job.fallback_at:
        pool.later(job.fallback_at, job)


def hand_over(pool: SendPool, response: Response) -> Response:
    """``after_request``: give the request's jobs to the pool."""
    for job in g.pop(PENDING, ()):
        pool.submit(job)
    return response


@atexit.register
def _drain_all() -> None:
    for pool in list(_POOLS):
        pool.shutdown()
