"""bench/chaos.py's clients: closed-loop logins (bench/loadclient.py's browser) that record
what happened to each one, so a fault's effect can be counted afterwards.

Each login is for a customer of its own (bench-N@example.com, "Bench N"). It counts as
*wrong* when the app lets it in with a code that is not the one the sink delivered for that
customer (every fourth login first types a wrong code, which must be refused with 400) or
when the dashboard greets anyone but that customer.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass

from bench.chaos_sink import Sink
from bench.loadclient import TOKEN_RE, Browser, LoginFailed

PROBE_EVERY = 4  # every fourth login types a wrong code first


@dataclass
class Attempt:
    """One login: when, whether its code was issued, how it ended."""

    index: int
    started: float
    ended: float = 0.0
    issued: bool = False
    ok: bool = False
    wrong: str = ""  # why this login was a wrong one
    error: str = ""
    error_at: float = 0.0  # when the step that failed began

    @property
    def contact(self) -> str:
        return f"bench-{self.index}@example.com"


def wrong_code(code: str) -> str:
    """A code of the same length that is certainly not ``code``."""
    return "".join(str((int(d) + 1) % 10) for d in code)


class Login:
    """One login's steps; each raises ``LoginFailed`` (after noting when) on a bad answer."""

    def __init__(self, port: int, sink: Sink, attempt: Attempt, code_wait: float) -> None:
        index = attempt.index
        self.browser = Browser(port, f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}")
        self.sink, self.attempt, self.code_wait = sink, attempt, code_wait

    def call(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes]:
        self.attempt.error_at = time.monotonic()
        return self.browser.call(method, path, form)

    def expect(self, wanted: int, method: str, path: str, form: dict | None = None) -> bytes:
        status, body = self.call(method, path, form)
        if status != wanted:
            raise LoginFailed(f"{method} {path}: HTTP {status}, expected {wanted}")
        return body

    def token(self, path: str) -> str:
        match = TOKEN_RE.search(self.expect(200, "GET", path))
        return match.group(1).decode() if match else ""

    def run(self) -> None:
        attempt = self.attempt
        form = {"channel": "email", "contact": attempt.contact}
        self.expect(
            302, "POST", "/otp/request/", {**form, "csrf_token": self.token("/otp/request/")}
        )
        attempt.issued = True
        attempt.error_at = time.monotonic()
        code = self.sink.code_for(attempt.contact, self.code_wait)
        if code is None:
            raise LoginFailed(f"no code arrived in {self.code_wait:.0f} s")
        token = self.token("/otp/verify/")
        if attempt.index % PROBE_EVERY == 0:
            status, _ = self.call(
                "POST", "/otp/verify/", {"code": wrong_code(code), "csrf_token": token}
            )
            if status == 302:
                attempt.wrong = "a wrong code was accepted"
                return
        self.expect(302, "POST", "/otp/verify/", {"code": code, "csrf_token": token})
        page = self.expect(200, "GET", "/dashboard/")
        if f"Welcome, Bench {attempt.index}</h1>".encode() not in page:
            attempt.wrong = "the dashboard greets someone else"
            return
        attempt.ok = True


class Clients:
    """Threads doing logins of customers first, first+1, ... until stopped.

    ``customers``: cycle through that many customers (a soak's logins repeat them);
    ``rate``: start at most that many logins per second (else as fast as answers come).
    """

    def __init__(
        self,
        port: int,
        sink: Sink,
        *,
        first: int,
        last: int,
        code_wait: float,
        customers: int | None = None,
        rate: float | None = None,
    ) -> None:
        self.port, self.sink, self.code_wait = port, sink, code_wait
        self.first, self.last, self.customers, self.rate = first, last, customers, rate
        self.numbers = itertools.count()
        self.began = time.monotonic()
        self.lock = threading.Lock()
        self.attempts: list[Attempt] = []
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def _next(self) -> int | None:
        """The next customer's number (None: no more), once its start time has come."""
        with self.lock:
            n = next(self.numbers)
        if self.rate:
            self.stopping.wait(max(self.began + n / self.rate - time.monotonic(), 0))
        index = self.first + (n % self.customers if self.customers else n)
        return None if index > self.last or self.stopping.is_set() else index

    def start(self, count: int) -> None:
        self.began = time.monotonic()
        self.threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(count)]
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(self.code_wait + 70)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            index = self._next()
            if index is None:
                return
            attempt = Attempt(index, time.monotonic())
            try:
                Login(self.port, self.sink, attempt, self.code_wait).run()
            except (LoginFailed, OSError, TimeoutError) as exc:
                attempt.error = str(exc) or type(exc).__name__
            attempt.ended = time.monotonic()
            with self.lock:
                self.attempts.append(attempt)
            if attempt.error:
                time.sleep(0.2)  # a failing server is not hammered by a closed loop

    def done(self) -> int:
        with self.lock:
            return sum(a.ok for a in self.attempts)
