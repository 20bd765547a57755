"""The sender interface shared by every backend, and the project's own delivery error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Message:
    """One message to one recipient; ``html`` and ``subject`` are for e-mail only."""

    to: str
    text: str
    subject: str = ""
    html: str | None = None


class DeliveryError(Exception):
    """A message could not be sent.

    ``temporary`` says whether trying again later may succeed (connection refused,
    timeouts, SMTP 4xx, Twilio 429/5xx) or not (SMTP 5xx, an invalid number).
    ``user_message`` is safe to show the customer; ``str(self)`` is for the log and never
    contains the code or the full contact.
    """

    def __init__(self, reason: str, *, temporary: bool, user_message: str | None = None) -> None:
        super().__init__(reason)
        self.temporary = temporary
        # Lazy: translated when a page shows it, in that page's language.
        self.user_message = user_message or (
            _l("We could not send your code just now. Please try again in a minute.")
            if temporary
            else _l(
                "We could not send a code to this contact. Please check it or use the other option."
            )
        )


class Sender(Protocol):
    """Sends one message, or raises ``DeliveryError``."""

    def send(self, message: Message) -> None: ...


class RecordingSender:
    """A fake that keeps what it was asked to send, on the instance (for tests)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def send(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def last(self) -> Message:
        return self.messages[-1]


class FailingSender:
    """A fake that always fails with the given error (for tests)."""

    def __init__(self, error: DeliveryError | None = None) -> None:
        self.error = error or DeliveryError("test: sender is down", temporary=True)
        self.attempts = 0

    def send(self, message: Message) -> None:
        self.attempts += 1
        raise self.error
