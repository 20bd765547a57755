"""The login forms. Each carries a CSRF token (Flask-WTF)."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ...platform.catalog import gettext as _
from ...platform.catalog import lazy_gettext as _l
from ...signin import channels
from ...signin.channels import normalize
from ...signin.contacts import MAX_CONTACT_LENGTH, InvalidContact
from ...signin.otp import totp


class TextField(StringField):
    """A text input that takes text only: a file posted in its place counts as empty.

    Flask-WTF merges uploaded files into the form data, and a validator calling ``len`` on a
    file would turn a crafted request into a 500.
    """

    # WTForms' own TextInput (issue 21): ~0.2 ms a login dearer than the hand-written one.

    def process_formdata(self, valuelist: list) -> None:
        super().process_formdata([v for v in valuelist if isinstance(v, str)])


class ChannelField(RadioField):
    """The channel radios; left out or ``auto``, the contact decides (see ``channels``)."""

    def process_formdata(self, valuelist: list) -> None:
        values = [v for v in valuelist if isinstance(v, str) and v]
        self.data = values[0] if values else channels.AUTO

    def pre_validate(self, form: FlaskForm) -> None:
        if self.data != channels.AUTO:
            super().pre_validate(form)


class CheckedForm(FlaskForm):
    """A form on a page CSRFProtect guards: the token is checked once, before the view.

    CSRFProtect (``extensions.csrf``) checks every POST's token before any view runs and
    answers 400 to a missing or wrong one; checking it again in the form would only
    repeat the signature check.
    """

    class Meta:
        csrf = False


class RequestForm(CheckedForm):
    """Ask for a code: the address or number on file, and (optionally) the channel."""

    channel = ChannelField(
        _l("Send my code by"),
        choices=[
            SelectChoice(channels.AUTO, _l("Automatic (e-mail or text message, from what I type)")),
            *(SelectChoice(c.name, c.label) for c in channels.CHANNELS.values()),
        ],
        default=channels.AUTO,
        validate_choice=True,
    )
    contact = TextField(
        _l("E-mail address or mobile number"),
        validators=[
            InputRequired(message=_l("Enter your e-mail address or mobile number.")),
            Length(max=MAX_CONTACT_LENGTH, message=_l("That is too long to be a contact.")),
        ],
        render_kw={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"},
    )
    normalized: str = ""
    resolved_channel: str = ""  # the channel the request goes by (never ``auto``)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The channels this deployment offers (WhatsApp only where it is switched on).
        offered = {c.name for c in channels.offered(current_app.config)}
        self.channel.choices = [
            c for c in self.channel.choices if c.value in offered | {channels.AUTO}
        ]

    def validate_contact(self, field: TextField) -> None:
        choice, raw = self.channel.data, field.data or ""
        if choice != channels.AUTO and choice not in {c.value for c in self.channel.choices}:
            return  # the channel's own error says what is wrong
        resolved = resolve_contact(choice, raw, current_app.config["PHONE_DEFAULT_REGION"])
        if resolved is None:
            raise ValidationError(contact_error(choice, raw))
        self.resolved_channel, self.normalized = resolved


# What a pasted code may carry around its digits: spaces and any kind of dash.
PASTE_NOISE = re.compile(r"[\s\-\u2010-\u2015\u2212]")


def resolve_contact(choice: str, raw: str, region: str) -> tuple[str, str] | None:
    """The channel and normalized contact for what was typed, or None if it is neither.

    ``auto`` reads an ``@`` as e-mail and anything else as a phone number. A phone number
    typed with e-mail chosen (or an address with SMS chosen) is understood as what it is:
    people pick the wrong radio more often than they mistype their own contact. A channel
    with no contact column of its own (an authenticator app) takes either kind.
    """
    if choice in channels.CHANNELS and channels.get(choice).column is None:
        candidates: tuple[str, ...] = (choice,)
    else:
        guess = channels.detect(raw)
        candidates = tuple(dict.fromkeys((guess if choice == channels.AUTO else choice, guess)))
    for channel in candidates:
        try:
            return channel, normalize(channel, raw, region)
        except InvalidContact:
            continue
    return None


def contact_error(choice: str, raw: str) -> str:
    """Why the typed contact is refused, in the page's language."""
    chosen = channels.CHANNELS.get(choice)
    kind = chosen.contact_kind(raw) if chosen else channels.CHANNELS[channels.detect(raw)]
    return str(kind.invalid)


class VerifyForm(CheckedForm):
    """Type the code that was sent."""

    code = TextField(
        _l("Your code"),
        validators=[InputRequired(message=_l("Enter the code we sent you."))],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "autofocus": True,
            "spellcheck": "false",
        },
    )

    def validate_code(self, field: TextField) -> None:
        length = current_app.config["OTP_LENGTH"]
        value = PASTE_NOISE.sub("", field.data or "")
        if len(value) != length or not value.isascii() or not value.isdigit():
            raise ValidationError(_("Enter the %(n)d-digit code we sent you.", n=length))
        field.data = value


class AppVerifyForm(VerifyForm):
    """Type the authenticator app's current code or one of the recovery codes."""

    code = TextField(
        _l("Your code"),
        validators=[InputRequired(message=_l("Enter the code from your app."))],
        render_kw={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"},
    )

    def validate_code(self, field: TextField) -> None:
        value = totp.canonical_code(field.data or "")
        if value is None:
            raise ValidationError(
                _("Enter the %(n)d-digit code from your app or a recovery code.", n=totp.DIGITS)
            )
        field.data = value


class ActionForm(FlaskForm):
    """A button that changes state (resend, log out): only the CSRF token."""


def verify_form(channel: str) -> VerifyForm:
    """The verify form for a pending request's channel (an app takes recovery codes too)."""
    own_check = channel in channels.CHANNELS and channels.get(channel).has_own_check
    return AppVerifyForm() if own_check else VerifyForm()
