"""The login forms. Each carries a CSRF token (Flask-WTF)."""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from .. import channels
from ..contacts import MAX_CONTACT_LENGTH, InvalidContact, normalize
from ..otp import totp


class TextField(StringField):
    """A text input that takes text only: a file posted in its place counts as empty.

    Flask-WTF merges uploaded files into the form data, and a validator calling ``len`` on a
    file would turn a crafted request into a 500.
    """

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


class RequestForm(FlaskForm):
    """Ask for a code: which channel, and the address or number on file."""

    channel = ChannelField(
        "Sign in with",
        choices=[SelectChoice(c.name, c.label) for c in channels.CHANNELS.values()],
        default="email",
        validate_choice=True,
    )
    contact = TextField(
        "E-mail address or phone number",
        validators=[
            InputRequired(message="Enter your e-mail address or phone number."),
            Length(max=MAX_CONTACT_LENGTH, message="That is too long to be a contact."),
        ],
        render_kw={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"},
    )
    normalized: str = ""

    def validate_contact(self, field: TextField) -> None:
        raw = field.data or ""
        if self.channel.data == channels.AUTO:
            self.channel.data = channels.detect(raw)
        if self.channel.data not in channels.CHANNELS:
            return  # the channel's own error says what is wrong
        try:
            self.normalized = normalize(
                self.channel.data, raw, current_app.config["PHONE_DEFAULT_REGION"]
            )
        except InvalidContact as exc:
            raise ValidationError(str(exc)) from None


class VerifyForm(FlaskForm):
    """Type the code that was sent."""

    code = TextField(
        "Your code",
        validators=[InputRequired(message="Enter the code we sent you.")],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "autofocus": True,
            "spellcheck": "false",
        },
    )

    def validate_code(self, field: TextField) -> None:
        length = current_app.config["OTP_LENGTH"]
        value = (field.data or "").strip().replace(" ", "").replace("-", "")
        if len(value) != length or not value.isascii() or not value.isdigit():
            raise ValidationError(f"Enter the {length}-digit code we sent you.")
        field.data = value


class AppVerifyForm(VerifyForm):
    """Type the authenticator app's current code or one of the recovery codes."""

    code = TextField(
        "Your code",
        validators=[InputRequired(message="Enter the code from your app.")],
        render_kw={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"},
    )

    def validate_code(self, field: TextField) -> None:
        value = totp.canonical_code(field.data or "")
        if value is None:
            raise ValidationError(
                f"Enter the {totp.DIGITS}-digit code from your app or a recovery code."
            )
        field.data = value


class ActionForm(FlaskForm):
    """A button that changes state (resend, log out): only the CSRF token."""


def verify_form(channel: str) -> VerifyForm:
    """The verify form for a pending request's channel (an app takes recovery codes too)."""
    own_check = channel in channels.CHANNELS and channels.get(channel).has_own_check
    return AppVerifyForm() if own_check else VerifyForm()
