"""The sender interface shared by every backend, and the project's own delivery error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..platform.catalog import lazy_gettext as _l


@dataclass(frozen=True)
class Message:
    """One message to one recipient; ``html`` and ``subject`` are for e-mail only.

    ``status_callback``: where the SMS provider reports delivery (Twilio), if anywhere.
    ``variables``: the values of a provider-side template (WhatsApp: the code), whose
    approved text the provider holds; ``text`` is then what the console shows.
    ``template_id``: the DLT template the text was registered as (SMS to India).
    """

    to: str
    text: str
    subject: str = ""
    html: str | None = None
    status_callback: str | None = None
    variables: tuple[str, ...] = ()
    template_id: str | None = None


@dataclass(frozen=True)
class SendJob:
    """One code to deliver, as the request left it.

    The recipient comes with the job when the request has just found it (``to``, inline
    mode), and is looked up at send time otherwise.

    Every issued code becomes a job, a stranger's too (``customer_id`` ''), so customers
    and strangers cost the request the same; the policy drops a job with no recipient.
    ``code_id`` is the id stored with the code: a job whose code is no longer the live one
    (replaced by a resend, used, cleared by unlock) is skipped, not sent.
    """

    channel: str
    tag: str
    code_id: str
    code: str
    customer_id: str
    deadline: float  # epoch seconds: the end of the code's lifetime
    locale: str = "en"  # the language the code was asked for in: the message's language
    # The contact, when the request has just found who it belongs to (inline mode: the job
    # never leaves the process). '' for a stranger; None: look the recipient up at send time
    # (queued jobs, resends).
    to: str | None = None
    # The channel that carries it when not the request's own (a fallback: WhatsApp -> SMS);
    # the request's channel still names the contact and its tag.
    via: str | None = None
    fallback_at: float = 0.0  # epoch seconds: when a channel with a fallback falls back

    @property
    def carrier(self) -> str:
        """The channel whose sender, budgets and audit rows this send uses."""
        return self.via or self.channel


@dataclass(frozen=True)
class Recipient:
    """Who a job's code goes to: the customer's id and their contact on the job's channel."""

    customer_id: int
    contact: str


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
