"""Sessions that end by idling or by age: Redis lets them expire, nobody calls a hook.

Each session that gave out a token is watched (``GrantStore.watch``); every
``OIDC_SWEEP_SECONDS`` a thread per process looks at the watched sessions that are due:
one still alive is looked at again later, one gone is unwatched (by exactly one process,
ZREM's answer) and its clients are told, as for any other end. So back-channel logout
follows an idle or lifetime end within about a minute.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from flask import Flask

from ..signin.sessions import session_store
from .backchannel import Notifier
from .records import grant_store

log = logging.getLogger(__name__)


def sweep_once(notifier: Notifier, interval: float, now: float | None = None) -> int:
    """Tell the clients of watched sessions that have ended; answer how many ended."""
    now = time.time() if now is None else now
    store, sessions, ended = grant_store(), session_store(), 0
    for sid in store.due(now):
        if sessions.alive(sid):
            store.watch(sid, now + interval)
        elif store.unwatch(sid):
            notifier.session_ended([sid])
            ended += 1
    return ended


class Sweeper:
    """The per-process thread, started by the first request of each process (after fork)."""

    def __init__(self, app: Flask, notifier: Notifier, interval: float) -> None:
        self.app, self.notifier, self.interval = app, notifier, interval
        self._pid = 0
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        """A ``before_request`` hook: cheap once the thread runs in this process."""
        if self._pid == os.getpid() or self.interval <= 0:
            return
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                threading.Thread(target=self._loop, name="oidc-sweeper", daemon=True).start()

    def _loop(self) -> None:
        while True:
            time.sleep(self.interval)
            try:
                with self.app.app_context():
                    sweep_once(self.notifier, self.interval)
            except Exception:  # noqa: BLE001 - Redis down now: the next round tries again
                log.warning("oidc: the session sweep failed; retrying in %ss", self.interval)
