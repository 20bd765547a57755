"""E-mail over SMTP through Flask-Mail; SMTP failures become ``DeliveryError``.

One connection is opened on first use and kept for the next messages of this process (a
worker sends many; opening costs a TCP, TLS and AUTH round trip each time). A kept
connection the server has since closed is replaced once; Flask-Mail's MAIL_MAX_EMAILS, if
set, still makes it reconnect after that many messages.

The message is the standard library's ``EmailMessage`` (``mime_bytes``), so the headers'
encoding and folding, the refusal of a line break in a header, and the parts' transfer
encoding are the library's: ~1 ms of CPU a mail (the hand-written text took 0.01 ms), on
the sending thread or worker, not the request's.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import smtplib
import ssl
import threading
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from flask_mail import Connection, sanitize_address

from .base import DeliveryError, Message

# A stuck SMTP server must fail the send (and let the queue retry), not hang it.
SMTP_TIMEOUT_SECONDS = 15.0


PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
# SMTP's CRLF line ends, and no 8-bit parts: a non-ASCII text goes as quoted-printable or
# base64, which every server relays (8bit parts need the server's 8BITMIME and BODY=8BITMIME).
MAIL_POLICY = policy.SMTP.clone(cte_type="7bit")
# The sender is a setting: parsed once, not for every message.
_sanitized = functools.lru_cache(maxsize=8)(sanitize_address)


def recipient_address(address: str) -> str:
    """``address`` as Flask-Mail's ``sanitize_address`` writes it. A customer's address is
    a plain ``user@host`` in ASCII (validated when stored), which it leaves as it is: only
    another shape is parsed (an IDN domain, a display name)."""
    if PLAIN_ADDRESS.fullmatch(address):
        return address
    return sanitize_address(address)


def classify(exc: Exception) -> DeliveryError:
    """Map an SMTP or socket failure to a temporary or permanent ``DeliveryError``."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        temporary = all(400 <= code < 500 for code in codes)
        return DeliveryError(f"SMTP refused the recipient ({codes})", temporary=temporary)
    if isinstance(exc, smtplib.SMTPResponseException):
        temporary = 400 <= exc.smtp_code < 500
        return DeliveryError(f"SMTP error {exc.smtp_code}", temporary=temporary)
    if isinstance(exc, smtplib.SMTPException | OSError):
        # Connection refused or reset, timeouts, TLS failures: the server may be back soon.
        return DeliveryError(f"SMTP unavailable: {type(exc).__name__}", temporary=True)
    raise exc


class TimedConnection(Connection):
    """Flask-Mail's connection with a socket timeout and a verified STARTTLS."""

    timeout = SMTP_TIMEOUT_SECONDS

    def configure_host(self) -> smtplib.SMTP:
        m = self.mail
        host: smtplib.SMTP
        if m.use_ssl:
            context = ssl.create_default_context()
            host = smtplib.SMTP_SSL(m.server, m.port, timeout=self.timeout, context=context)
        else:
            host = smtplib.SMTP(m.server, m.port, timeout=self.timeout)
        host.set_debuglevel(int(m.debug))
        if m.use_tls:
            host.starttls(context=ssl.create_default_context())
        if m.username and m.password:
            host.login(m.username, m.password)
        return host


def mime_bytes(message: Message, sender: str, domain: str) -> bytes:
    """``message`` as a MIME mail from ``sender`` (``EmailMessage``, ``MAIL_POLICY``): its
    text, or its text and HTML as ``multipart/alternative``. ``sender`` and ``message.to``
    come sanitized (``sanitize_address``); a line break in a header refuses (the library's
    check), as a permanent failure."""
    mail = EmailMessage(policy=MAIL_POLICY)
    try:
        mail["Subject"] = message.subject
        mail["From"] = sender
        mail["To"] = message.to
    except ValueError as exc:  # "Header values may not contain linefeed or carriage return"
        raise DeliveryError("a header the mail library refused", temporary=False) from exc
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = make_msgid(domain=domain)
    mail.set_content(message.text)
    if message.html is not None:
        mail.add_alternative(message.html, subtype="html")
    return mail.as_bytes()


def _stale(exc: Exception) -> bool:
    """Whether ``exc`` says the server dropped a kept connection (so reconnecting may help)."""
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421


class SmtpSender:
    """Sends e-mail with the app's Flask-Mail settings (MAIL_*) over a kept connection."""

    def __init__(self, domain: str = "localhost") -> None:
        self.domain = domain  # for Message-ID: our host name, not this machine's
        self.connections_opened = 0
        self._connection: Connection | None = None
        self._lock = threading.Lock()  # one SMTP dialogue at a time (threaded servers)

    def send(self, message: Message) -> None:
        sender = _sanitized(current_app.extensions["mail"].default_sender)
        to = recipient_address(message.to)
        data = mime_bytes(dataclasses.replace(message, to=to), sender, self.domain)
        with self._lock:
            try:
                self._send(sender, to, data)
            except (smtplib.SMTPException, OSError) as exc:
                self.close()
                raise classify(exc) from exc

    def _send(self, sender: str, to: str, data: bytes) -> None:
        reused = self._connection is not None
        try:
            self._transmit(sender, to, data)
        except (smtplib.SMTPException, OSError) as exc:
            if not (reused and _stale(exc)):
                raise
            self.close()
            self._transmit(sender, to, data)

    def _transmit(self, sender: str, to: str, data: bytes) -> None:
        """One message over the kept connection (renewed after MAIL_MAX_EMAILS, if set)."""
        connection = self._open()
        connection.host.sendmail(sender, [to], data)
        connection.num_emails += 1
        if connection.num_emails == connection.mail.max_emails:
            self.close()

    def _open(self) -> Connection:
        if self._connection is None:
            connection = TimedConnection(current_app.extensions["mail"])
            self._connection = connection.__enter__()
            self.connections_opened += 1
        return self._connection

    def close(self) -> None:
        """Close the kept connection, if any (the next send opens a new one)."""
        connection, self._connection = self._connection, None
        if connection is None or connection.host is None:
            return
        try:
            connection.host.quit()
        except (smtplib.SMTPException, OSError):
            connection.host.close()
