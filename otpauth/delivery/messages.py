"""The messages delivery sends: a code or a notice, in the channel's templates."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from ..platform.i18n import current_language
from ..signin import channels
from .base import Message


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
        context["lang"] = current_language()
        subject = gettext("Your %(service)s sign-in code", service=c["SITE_NAME"])
        return render(channel, "otp", to, subject, context)


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


def status_callback_url() -> str | None:
    """Where Twilio reports an SMS's fate: our hook on PUBLIC_HOST, over HTTPS (the site is
    served over TLS in production); None on localhost, which Twilio cannot reach."""
    c = current_app.config
    host = c["PUBLIC_HOST"]
    if not host or host in ("localhost", "127.0.0.1"):
        return None  # Twilio could not reach it
    return f"https://{host}/hooks/twilio/status"  # Twilio signs the URL it was given
