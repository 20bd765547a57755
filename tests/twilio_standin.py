"""A local stand-in for Twilio's Messages API, and Twilio's own HTTP client pointed at it.

The stand-in answers ``POST /2010-04-01/Accounts/{sid}/Messages.json`` the way Twilio does:
201 with a message resource (each its own sid), or a queued error reply (status, Twilio
error code). It takes SMS (``Body``) and WhatsApp (``To=whatsapp:+…``, ``ContentSid`` and
``ContentVariables``, see ``tests/whatsapp_support.py``) alike, as Twilio's API does.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

TWILIO_SID = "AC" + "1" * 32
TWILIO_TOKEN = "twilio-test-token"  # noqa: S105 - the stand-in's, not a secret
TWILIO_FROM = "+15005550006"


@dataclass
class Posted:
    """One request the stand-in received."""

    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


def message_sid(n: int) -> str:
    """The sid the stand-in gives its ``n``-th message (each its own, as Twilio's)."""
    return f"SM{n:032x}"


class StandIn(ThreadingHTTPServer):
    """The server; ``errors`` holds (status, code, message) replies to give, in order."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.posted: list[Posted] = []
        self.errors: list[tuple[int, int, str]] = []
        # A short poll so that shutdown() returns at once, not after half a second.
        self.thread = threading.Thread(target=self.serve_forever, args=(0.02,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: StandIn

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        self.server.posted.append(Posted("POST", self.path, dict(self.headers), form))
        if self.server.errors:
            status, code, message = self.server.errors.pop(0)
            body = {
                "code": code,
                "message": message,
                "status": status,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
            }
        else:
            status, body = (
                201,
                {
                    "sid": message_sid(len(self.server.posted)),
                    "status": "queued",
                    "to": form.get("To"),
                    "body": form.get("Body"),
                    "error_code": None,
                },
            )
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # keep the test output clean


class StandInHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending to the stand-in instead of api.twilio.com."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=5)
        self.base_url = base_url

    def request(self, method: str, url: str, *args: object, **kwargs: object) -> Response:
        parts = urlsplit(url)
        assert parts.netloc == "api.twilio.com", url  # the client aims at the real API
        return super().request(method, self.base_url + parts.path, *args, **kwargs)
