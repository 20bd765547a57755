"""A local stand-in for MSG91's SMS API and the shapes of its delivery reports.

It answers ``POST /api/v2/sendsms`` as MSG91 documents it: the ``authkey`` header, a JSON
body ``{"sender", "route", "country", "unicode", "DLT_TE_ID", "sms": [{"message", "to"}]}``,
and the answer ``{"type": "success", "message": "<request id>"}`` (HTTP 200), or
``{"type": "error", "message": "…"}``. Failures are queued in ``replies`` and given in
order: an HTTP status with MSG91's error body, a ``type: error`` with HTTP 200 (MSG91 does
that for some refusals), a malformed body, or a slow answer (the client's timeout).

``report_form`` builds what MSG91 posts to a delivery-report webhook (version 2:
``application/x-www-form-urlencoded``, one field ``data`` holding a JSON array of requests,
each with its ``report`` list). Status codes: 1 delivered, 2 failed, 9 NDNC, 16 and 25
rejected, 17 blocked number.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MSG91_AUTH_KEY = "msg91-test-authkey"  # noqa: S105 - the stand-in's, not a secret
MSG91_SENDER = "WBILLS"
MSG91_TEMPLATE_ID = "1107160000000000001"  # DLT template ids are 19 digits
SEND_PATH = "/api/v2/sendsms"
DELIVERED, FAILED, NDNC, REJECTED, BLOCKED = "1", "2", "9", "16", "17"


@dataclass
class Reply:
    """One queued answer: ``status`` and ``body`` (raw bytes), after ``delay`` seconds."""

    status: int = 200
    body: bytes = b""
    delay: float = 0.0

    @classmethod
    def error(cls, status: int, message: str) -> Reply:
        """MSG91's error answer with an HTTP status (200 for a ``type: error``)."""
        return cls(status, json.dumps({"type": "error", "message": message}).encode())

    @classmethod
    def malformed(cls, status: int = 200, body: bytes = b"<html>gateway</html>") -> Reply:
        return cls(status, body)

    @classmethod
    def slow(cls, seconds: float) -> Reply:
        """A success that comes too late: the client must have given up by then."""
        return cls(200, _success(0), seconds)


@dataclass
class Received:
    """One request the stand-in received."""

    path: str
    headers: dict[str, str]
    body: dict
    raw: bytes = field(repr=False, default=b"")


def _success(n: int) -> bytes:
    return json.dumps({"type": "success", "message": request_id(n)}).encode()


def request_id(n: int) -> str:
    """The request id MSG91 answers for the ``n``-th message (24 hex digits, as MSG91's)."""
    return f"{n:024x}"


class Msg91StandIn(ThreadingHTTPServer):
    """The server, on a free port of 127.0.0.1; ``replies`` are answered in order."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[Received] = []
        self.replies: list[Reply] = []
        self.thread = threading.Thread(target=self.serve_forever, args=(0.02,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def sent(self) -> list[dict]:
        """The ``sms`` entries of every accepted request (message and numbers)."""
        return [entry for r in self.received for entry in r.body.get("sms", [])]

    def __enter__(self) -> Msg91StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: Msg91StandIn

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        self.server.received.append(Received(self.path, dict(self.headers), body, raw))
        reply = self.server.replies.pop(0) if self.server.replies else self._answer(body)
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            pass  # the client gave up (a timeout test): nobody reads the answer

    def _answer(self, body: dict) -> Reply:
        """What MSG91 answers a request nobody queued a failure for."""
        if self.path != SEND_PATH:
            return Reply.error(404, "Not found")
        if self.headers.get("authkey") != MSG91_AUTH_KEY:
            return Reply.error(401, "Authentication failure")
        entries = body.get("sms")
        if not isinstance(entries, list) or not entries or not body.get("sender"):
            return Reply.error(400, "Invalid request: sender and sms are required")
        return Reply(200, _success(len(self.server.received)))

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # keep the test output clean


def report_form(request: str, number: str, status: str, sender: str = MSG91_SENDER) -> dict:
    """MSG91's delivery-report webhook body (version 2) for one number of one request.

    ``number`` as MSG91 writes it: the country code and number, no ``+``.
    """
    desc = {DELIVERED: "DELIVERED", FAILED: "FAILED", NDNC: "NDNC"}.get(status, "REJECTED")
    report = {"date": "2026-12-06 10:06:20", "number": number, "status": status, "desc": desc}
    data = [{"senderId": sender, "requestId": request, "report": [report], "userId": "27001"}]
    return {"data": json.dumps(data)}
