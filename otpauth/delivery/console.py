"""Development senders: print the message to standard output instead of sending it.

Production refuses these backends (config.check), so a code is never printed there. They
print with ``click.echo`` rather than logging, so no log record ever carries a code.
"""

from __future__ import annotations

import click

from .base import Message


class ConsoleSender:
    """Prints each message to the console, framed so it stands out in the server output."""

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, message: Message) -> None:
        rule = "-" * 64
        head = f"[otpauth {self.channel}] to {message.to}"
        if message.subject:
            head += f" | subject: {message.subject}"
        click.echo(f"{rule}\n{head}\n{message.text.rstrip()}\n{rule}")
