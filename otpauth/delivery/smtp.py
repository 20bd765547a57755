"""E-mail over SMTP through Flask-Mail; SMTP failures become ``DeliveryError``.

One connection is opened on first use and kept for the next messages of this process (a
worker sends many; opening costs a TCP, TLS and AUTH round trip each time). A kept
connection the server has since closed is replaced once; Flask-Mail's MAIL_MAX_EMAILS, if
set, still makes it reconnect after that many messages.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
from email.utils import make_msgid

from flask import current_app
from flask_mail import Connection
from flask_mail import Message as MailMessage

from .base import DeliveryError, Message

# A stuck SMTP server must fail the send (and let the queue retry), not hang it.
SMTP_TIMEOUT_SECONDS = 15.0


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
        mail_message = MailMessage(
            subject=message.subject,
            recipients=[message.to],
            body=message.text,
            html=message.html,
        )
        mail_message.msgId = make_msgid(domain=self.domain)
        with self._lock:
            try:
                self._send(mail_message)
            except (smtplib.SMTPException, OSError) as exc:
                self.close()
                raise classify(exc) from exc

    def _send(self, mail_message: MailMessage) -> None:
        reused = self._connection is not None
        try:
            self._open().send(mail_message)
        except (smtplib.SMTPException, OSError) as exc:
            if not (reused and _stale(exc)):
                raise
            self.close()
            self._open().send(mail_message)

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
