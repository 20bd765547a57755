"""The bench's SMTP sink: just enough SMTP to take the code mails, in a process of its own.

It stands in for a remote provider, but it shares the bench's two cores with the apps,
so what it costs is taken from otpauth's logins/s (not from its server CPU, which counts
gunicorn only). aiosmtpd took about 0.9 ms of CPU per mail here; this asyncio protocol,
which answers each command with a fixed line and reads the code straight out of the
text part, takes a fraction of that. Every mail it takes it reports on stdout as
``recipient code`` (``-`` when it finds none).
"""

from __future__ import annotations

import asyncio
import re
import sys
from email import message_from_bytes

CODE_RE = re.compile(rb"\b(\d{6})\b")
BLANK_LINE = re.compile(rb"\r?\n\r?\n")  # the end of the text part's headers
EHLO = b"250-127.0.0.1\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 33554432\r\n"
END_OF_DATA = b"\r\n.\r\n"


def code_in(content: bytes) -> str:
    """The 6-digit code in the mail's text/plain part ('-': none)."""
    start = content.find(b"text/plain")
    blank = BLANK_LINE.search(content, max(start, 0))
    if start < 0 or blank is None:
        return "-"
    body = blank.end()
    if b"base64" in content[start:body].lower():  # a non-ASCII text part: decode it properly
        match = CODE_RE.search(_plain_text(content))
    else:
        match = CODE_RE.search(content, body, body + 4000)
    return match.group(1).decode() if match else "-"


def _plain_text(content: bytes) -> bytes:
    for part in message_from_bytes(content).walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True) or b""
    return b""


class Sink(asyncio.Protocol):
    """One SMTP connection: commands answered with fixed lines, DATA read to its end.

    ``hold``: seconds between taking a message (reported at once) and acknowledging it, so
    bench/chaos.py can kill the sender while it waits for the answer: mid-send.
    """

    def __init__(self, hold: float = 0.0) -> None:
        self.hold = hold

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport, self.buffer, self.recipients = transport, b"", []
        self.in_data = False
        transport.write(b"220 127.0.0.1 bench sink\r\n")  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.buffer:
            if self.in_data:
                end = self.buffer.find(END_OF_DATA)
                if end < 0:
                    return
                self._delivered(self.buffer[:end])
                self.buffer = self.buffer[end + len(END_OF_DATA) :]
                continue
            line, found, rest = self.buffer.partition(b"\r\n")
            if not found:
                return
            self.buffer = rest
            self._command(line)

    def _command(self, line: bytes) -> None:
        verb, write = line[:4].upper(), self.transport.write  # type: ignore[attr-defined]
        if verb == b"EHLO":
            write(EHLO)
        elif verb == b"RCPT":
            address = line[line.find(b"<") + 1 : line.rfind(b">")]
            self.recipients.append(address.decode(errors="replace").lower())
            write(b"250 OK\r\n")
        elif verb == b"DATA":
            self.in_data = True
            write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"QUIT":
            write(b"221 Bye\r\n")
            self.transport.close()
        else:  # HELO, MAIL, RSET, NOOP
            if verb in (b"MAIL", b"RSET"):  # a new message begins
                self.recipients = []
            write(b"250 OK\r\n")

    def _delivered(self, content: bytes) -> None:
        code = code_in(content)
        for recipient in self.recipients:
            sys.stdout.write(f"{recipient} {code}\n")
        sys.stdout.flush()
        self.in_data, self.recipients = False, []
        accepted = b"250 Message accepted for delivery\r\n"
        if self.hold > 0:
            asyncio.get_running_loop().call_later(self.hold, self._answer, accepted)
        else:
            self.transport.write(accepted)  # type: ignore[attr-defined]

    def _answer(self, line: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(line)  # type: ignore[attr-defined]


def serve(port: int, hold: float = 0.0) -> None:
    """Serve on 127.0.0.1:``port`` until stopped; say ``ready`` once listening."""
    loop = asyncio.new_event_loop()
    loop.run_until_complete(loop.create_server(lambda: Sink(hold), "127.0.0.1", port))
    print("ready", flush=True)
    loop.run_forever()
