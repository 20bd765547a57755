"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, recording what it receives.

It can answer slowly (``delay`` seconds before accepting the data) and refuse recipients
with a given reply (``rcpt_replies``: one reply per attempt, then it accepts).
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    """One delivered message: the envelope, the client connection it came over, the mail."""

    mail_from: str
    rcpt_tos: list[str]
    peer: tuple
    content: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.content, policy=policy.default)  # type: ignore[return-value]


@dataclass
class RecordingHandler:
    """aiosmtpd handler hooks; tests read ``received`` and set the behaviour fields."""

    delay: float = 0.0
    rcpt_replies: list[str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    attempts: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        self.attempts += 1
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        if self.delay:
            await asyncio.sleep(self.delay)
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), session.peer, envelope.content)
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """The server on 127.0.0.1:``port``; ``restart()`` drops every open connection."""

    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def received(self) -> list[Received]:
        return self.handler.received
