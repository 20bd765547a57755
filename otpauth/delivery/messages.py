"""The messages delivery sends: a code or a notice, in the channel's templates."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode, urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from ..platform.i18n import current_language
from ..signin import channels
from .base import Message
from .dlt import for_language


def render_message(channel: str, to: str, code: str, locale: str | None = None) -> Message:
    """The message for a code in ``locale`` (default: the request's language).

    From the channel's templates (``templates/email/``, ``templates/sms/``). A job sent
    after the request passes the ``locale`` the code was asked for in.
    """
    c = current_app.config
    context = {
        "code": code,
        "service": c["SITE_NAME"],
        "host": c["PUBLIC_HOST"],
        "minutes": max(c["OTP_TTL_SECONDS"] // 60, 1),
        "seconds": c["OTP_TTL_SECONDS"],
    }
    with force_locale(locale or current_language()):
        context["lang"] = lang = current_language()
        subject = gettext("Your %(service)s sign-in code", service=c["SITE_NAME"])
        message = render(channel, "otp", to, subject, context)
    # The code is the provider-side template's variable (WhatsApp); an SMS names the DLT
    # template its language's text was registered as.
    template_id = None
    if channels.get(channel).per_segment:
        template_id = for_language(c["SMS_DLT_TEMPLATE_ID"], lang)
    return replace(message, variables=(code,), template_id=template_id)


def render(channel: str, kind: str, to: str, subject: str, context: dict) -> Message:
    """Message ``kind`` (``otp``, ``notice``) for ``to``, from the channel's templates."""
    found = channels.get(channel)
    folder = f"{found.templates}/{kind}"
    context.setdefault("lang", current_language())
    text = render_template(f"{folder}.txt", **context)
    if not found.html:
        return Message(to=to, text=text.strip())
    html = render_template(f"{folder}.html", **context)
    return Message(to=to, subject=subject, text=text, html=html)


def status_callback_url(code_id: str | None = None) -> str | None:
    """Where Twilio reports a message's fate: our hook under PUBLIC_URL (scheme, host and
    port, like every link the app writes); None on loopback, which Twilio cannot reach.

    ``code_id``: the code the message carries, for a report that may bring a fallback
    (WhatsApp): ``?d=<id>``. Twilio signs the whole URL it was given, query included.
    """
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    if urlsplit(base).hostname in (None, "localhost", "127.0.0.1", "::1"):
        return None  # Twilio could not reach it
    url = f"{base}/hooks/twilio/status"
    return f"{url}?{urlencode({'d': code_id})}" if code_id else url
