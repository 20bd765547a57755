"""Normalizing and masking e-mail addresses and phone numbers.

Used by the login forms and the ``customers`` CLI, so a contact is stored and looked up in
one canonical form: e-mail lower-cased, phone numbers in E.164.
"""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

MAX_CONTACT_LENGTH = 254


class InvalidContact(ValueError):
    """The text is not a usable e-mail address or phone number; the message says why."""


def normalize_email(raw: str) -> str:
    """The canonical, lower-cased form of an e-mail address."""
    raw = raw.strip()
    if not raw or len(raw) > MAX_CONTACT_LENGTH or "\x00" in raw:
        raise InvalidContact("Enter a valid e-mail address.")
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidContact("Enter a valid e-mail address.") from None
    return result.normalized.lower()


def normalize_phone(raw: str, region: str) -> str:
    """The E.164 form of a phone number; numbers without a country code use ``region``."""
    raw = raw.strip()
    if not raw or len(raw) > 32 or "\x00" in raw:
        raise InvalidContact("Enter a valid phone number.")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidContact("Enter a valid phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidContact("Enter a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Numbers that never take a text message: a phone on file must be none of these.
NOT_MOBILE = {
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.UAN,
    phonenumbers.PhoneNumberType.VOICEMAIL,
}


def is_mobile(e164: str) -> bool:
    """Whether an E.164 number may take an SMS: anything but a landline or service number
    (``FIXED_LINE_OR_MOBILE`` and unknown types pass: the region's plan cannot tell)."""
    return phonenumbers.number_type(phonenumbers.parse(e164)) not in NOT_MOBILE


def mask_email(contact: str) -> str:
    """A display form of an address: ``t***@example.com``."""
    local, _, domain = contact.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(contact: str) -> str:
    """A display form of a number: ``+91******3210``."""
    return contact[:3] + "*" * max(len(contact) - 7, 2) + contact[-4:]
