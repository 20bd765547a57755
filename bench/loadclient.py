"""The closed-loop load client of bench/login_load.py: browsers doing complete logins.

Each client thread repeats a full login as a browser would (request page, send, verify
page, verify, dashboard), each login for the next customer and from its own client IP
(``X-Forwarded-For``, one trusted proxy), with its own cookies and a fresh connection per
request (gunicorn's sync workers close every connection). Only 127.0.0.1 is ever called.
"""

from __future__ import annotations

import http.client
import itertools
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

STEPS = ("request page", "send", "verify page", "verify", "dashboard")
TOKEN_RE = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')


class LoginFailed(Exception):
    """A step answered something a working login never answers."""


class Browser:
    """One visitor: a cookie jar, a client address, one HTTP request at a time."""

    def __init__(self, port: int, ip: str) -> None:
        self.port, self.ip = port, ip
        self.cookies: dict[str, str] = {}

    def call(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes]:
        headers = {
            "X-Forwarded-For": self.ip,
            # As behind the TLS proxy: secure cookies, and CSRF checks the referrer.
            "X-Forwarded-Proto": "https",
            "Referer": f"https://127.0.0.1:{self.port}/otp/",
            "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) otpauth-bench/1",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                self._remember(header)
            return response.status, data
        finally:
            conn.close()

    def _remember(self, header: str) -> None:
        pair, _, attributes = header.partition(";")
        name, _, value = pair.strip().partition("=")
        gone = "max-age=0" in attributes.lower() or "1970" in attributes or not value
        if gone:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value


@dataclass
class Results:
    """What the clients measured: seconds per step, logins done, failures."""

    steps: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    logins: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def merge(self, other: Results) -> None:
        """Add ``other``'s logins, samples and seconds to these."""
        self.logins += other.logins
        self.failures += other.failures
        self.seconds += other.seconds
        for name, samples in other.steps.items():
            self.steps[name].extend(samples)


def _expect(status: int, wanted: int, step: str) -> None:
    if status != wanted:
        raise LoginFailed(f"{step}: HTTP {status}, expected {wanted}")


def _token(body: bytes) -> str:
    match = TOKEN_RE.search(body)
    return match.group(1).decode() if match else ""


def login(
    port: int,
    index: int,
    code_for: Callable[[str], str],
    times: dict,
    after_send: Callable[[], None] | None = None,
) -> None:
    """One complete login of customer ``index``; ``times`` gets the seconds of each step."""
    contact = f"bench-{index}@example.com"
    browser = Browser(port, f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}")

    def step(name: str, method: str, path: str, wanted: int, form: dict | None = None) -> bytes:
        started = time.perf_counter()
        status, body = browser.call(method, path, form)
        times[name] = time.perf_counter() - started
        _expect(status, wanted, name)
        return body

    token = _token(step("request page", "GET", "/otp/request/", 200))
    form = {"channel": "email", "contact": contact, "csrf_token": token}
    step("send", "POST", "/otp/request/", 302, form)
    if after_send is not None:
        after_send()
    code = code_for(contact)
    token = _token(step("verify page", "GET", "/otp/verify/", 200))
    step("verify", "POST", "/otp/verify/", 302, {"code": code, "csrf_token": token})
    step("dashboard", "GET", "/dashboard/", 200)


def run(
    port: int,
    code_for: Callable[[str], str],
    *,
    clients: int,
    first: int,
    count: int,
    seconds: float,
) -> Results:
    """``clients`` threads doing logins of customers first..first+count-1, for ``seconds``."""
    results, numbers = Results(), itertools.count(first)
    numbers_lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < deadline and len(results.failures) < 20:
            with numbers_lock:
                index = next(numbers)
            if index >= first + count:
                return
            times: dict[str, float] = {}
            try:
                login(port, index, code_for, times)
            except (LoginFailed, OSError, TimeoutError) as exc:
                with results.lock:
                    results.failures.append(f"login {index}: {exc}")
                continue
            with results.lock:
                results.logins += 1
                for name, value in times.items():
                    results.steps[name].append(value)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    results.seconds = time.monotonic() - started
    return results
