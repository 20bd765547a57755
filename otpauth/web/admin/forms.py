"""The console's forms. Each carries a CSRF token (Flask-WTF)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, SelectField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from config import CUSTOMER_TYPES, STAFF_ROLES

from ..auth.forms import TextField
from .passwords import MAX_LENGTH, problem


class LoginForm(FlaskForm):
    """The password step."""

    email = TextField("E-mail address", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=MAX_LENGTH)])


class CodeForm(FlaskForm):
    """The code step: an authenticator code or a recovery code."""

    code = TextField(
        "Code from your authenticator app",
        validators=[InputRequired(message="Enter the code."), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false", "autofocus": True},
    )


class PasswordSetupForm(FlaskForm):
    """Choose a password on the setup page."""

    password = PasswordField(
        "New password (at least 12 characters)",
        validators=[InputRequired()],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "The same password again",
        validators=[InputRequired()],
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, *args: Any, member: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member = member  # the Staff setting the password: their details are weak words

    def validate_password(self, field: PasswordField) -> None:
        details = (self.member.email, self.member.name) if self.member is not None else ("", "")
        reason = problem(field.data or "", *details)
        if reason:
            raise ValidationError(reason)

    def validate_confirm(self, field: PasswordField) -> None:
        if field.data != self.password.data:
            raise ValidationError("The two passwords differ.")


class CustomerForm(FlaskForm):
    """Create or edit a customer; the service validates like ``customers create``."""

    name = TextField("Name", validators=[Length(max=400)])
    email = TextField("E-mail address", validators=[Length(max=400)])
    phone = TextField("Phone number", validators=[Length(max=400)])
    type = SelectField("Type", choices=[SelectChoice(t, t) for t in CUSTOMER_TYPES])


class StaffForm(FlaskForm):
    """A new staff member: ``staff create`` in the console (admins)."""

    email = TextField("Work e-mail address", validators=[InputRequired(), Length(max=254)])
    name = TextField("Name as shown in the console", validators=[InputRequired(), Length(max=200)])
    role = SelectField("Role", choices=[SelectChoice(r, r) for r in STAFF_ROLES])


class ImportForm(FlaskForm):
    """A CSV file of customers."""

    file = FileField("CSV file (name,email,phone,type[,active])", validators=[FileRequired()])


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


REASON_LENGTH = 200  # auth_events.reason holds it whole


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class ReasonForm(FlaskForm):
    """An action asked for on a page of its own: why (kept in the audit event)."""

    reason = TextField(
        "Reason (kept in the audit trail)",
        filters=[_stripped],
        validators=[
            DataRequired(message="Give a reason."),
            Length(max=REASON_LENGTH, message="At most 200 characters."),
        ],
        render_kw={"maxlength": REASON_LENGTH, "autocomplete": "off"},
    )
