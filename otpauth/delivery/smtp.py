"""E-mail over SMTP through Flask-Mail; SMTP failures become ``DeliveryError``."""

from __future__ import annotations

import smtplib

from flask_mail import Message as MailMessage

from ..extensions import mail
from .base import DeliveryError, Message


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


class SmtpSender:
    """Sends e-mail with the app's Flask-Mail settings (MAIL_*)."""

    def send(self, message: Message) -> None:
        mail_message = MailMessage(
            subject=message.subject,
            recipients=[message.to],
            body=message.text,
            html=message.html,
        )
        try:
            mail.send(mail_message)
        except (smtplib.SMTPException, OSError) as exc:
            raise classify(exc) from exc
