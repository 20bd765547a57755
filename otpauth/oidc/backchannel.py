"""Back-Channel Logout 1.0: tell each client whose tokens a session holds that it ended.

The session store calls ``session_ended`` with the sids it ended (logout, revoke, sign
out everywhere, deactivation, staff sign-out). The clients that received a token in each
session are read (and forgotten) in one Redis call; the signing and POSTing happen on a
small pool of this module's own, off the request path, with retries. Each outcome is
audited: ``oidc_backchannel_logout_sent`` or ``_failed`` (reason: the client id).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from flask import Flask, current_app

from ..platform.extensions import db
from ..signin import audit
from ..signin.models import Customer
from .claims import subject
from .clients import find
from .records import grant_store
from .store import session_tag
from .tokens import logout_token

log = logging.getLogger(__name__)
EXTENSION_KEY = "otpauth.oidc.backchannel"
ATTEMPTS = 3
BACKOFF_SECONDS = (1.0, 3.0)  # waits before the second and third attempts
TIMEOUT_SECONDS = 5.0


class Notifier:
    """A bounded pool that sends logout tokens, with retries."""

    def __init__(self, app: Flask, workers: int = 2) -> None:
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="oidc-bcl")
        self.pending = 0
        self._idle = threading.Condition()
        self.backoff = BACKOFF_SECONDS
        atexit.register(self.pool.shutdown, wait=True)

    def session_ended(self, sids: list[str]) -> None:
        """The store's hook: queue a notice per client of each ended customer session."""
        for sid in sids:
            if not sid.startswith("customer:"):
                continue
            try:
                client_ids = grant_store().take_clients(sid)
            except Exception:  # noqa: BLE001 - the logout itself must not fail on this
                log.warning("oidc: could not read the clients of an ended session")
                continue
            for client_id in client_ids:
                self._submit(sid, client_id)

    def _submit(self, sid: str, client_id: str) -> None:
        with self._idle:
            self.pending += 1
        self.pool.submit(self._run, sid, client_id)

    def _run(self, sid: str, client_id: str) -> None:
        try:
            with self.app.app_context():
                self._notify(sid, client_id)
                db.session.remove()
        except Exception:  # noqa: BLE001 - a worker thread must log, not die silently
            log.exception("oidc: back-channel logout crashed")
        finally:
            with self._idle:
                self.pending -= 1
                self._idle.notify_all()

    def _notify(self, sid: str, client_id: str) -> None:
        client = find(client_id)
        if client is None or not client.backchannel_logout_uri:
            return
        user_id = int(sid.split(":")[1])
        customer = db.session.get(Customer, user_id)
        if customer is None:
            return
        token = logout_token(client_id, subject(customer), session_tag(sid))
        ok = self._post(client.backchannel_logout_uri, token)
        event = "oidc_backchannel_logout_sent" if ok else "oidc_backchannel_logout_failed"
        audit.record(event, customer_id=user_id, reason=client_id)

    def _post(self, uri: str, token: str) -> bool:
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(self.backoff[min(attempt - 1, len(self.backoff) - 1)])
            try:
                answer = requests.post(
                    uri,
                    data={"logout_token": token},
                    timeout=TIMEOUT_SECONDS,
                    allow_redirects=False,
                )
            except requests.RequestException:
                continue
            if 200 <= answer.status_code < 300:
                return True
            if 400 <= answer.status_code < 500:
                return False  # the client refused this token: retrying will not help
        return False

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued notice is done (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self.pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True


def notifier() -> Notifier:
    """The current app's notifier."""
    return current_app.extensions[EXTENSION_KEY]
