"""The channels a customer signs in through, each defined once.

A channel says how its contact is typed and shown, which customer column holds it, which
sender (if any) delivers its messages and from which templates. Everything else asks the
registry, so a new channel (WhatsApp, voice) is one entry here, a sender and templates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..platform.catalog import lazy_gettext as _l
from .contacts import InvalidContact, mask_email, mask_phone, normalize_email, normalize_phone

AUTO = "auto"  # the request form's "choose for me": e-mail when the contact has an @
OFF = "off"  # a sender setting that switches its channel off


@dataclass(frozen=True)
class Channel:
    """One way to sign in.

    ``column`` and ``verified_attr`` name Customer attributes (None: the contact's own kind
    decides, see ``contact_kind``); ``sender`` is the setting choosing its delivery backend
    (None: nothing is ever sent); ``templates`` is the folder of its message templates;
    ``has_own_check`` means codes are checked by the channel itself (an authenticator app),
    not against a code the server sent. ``metered``: its sends cost money per message, so
    they go only to reachable numbers and count against the hourly budgets (SMS).
    ``unavailable`` / ``instead`` are what the pages say while its provider is down, and
    ``placeholder`` is a contact nobody owns, rendered for a stranger's send job, and
    ``invalid`` what the request form says when a contact of its kind does not parse.
    """

    name: str
    label: Any  # lazily translated: the request form's radio label
    noun: Any  # lazily translated: how pages name it: "sent to it by e-mail"
    short: Any  # lazily translated: in tables: "e-mail", "SMS"
    normalize: Callable[[str, str], str]  # (raw, region) -> canonical contact
    mask: Callable[[str], str]  # canonical contact -> display form
    column: str | None
    verified_attr: str | None
    sender: str | None
    templates: str | None
    html: bool  # its messages carry an HTML part (and a subject)
    has_own_check: bool
    metered: bool = False
    unavailable: Any = None  # lazily translated, the contract's words: "... right now"
    instead: Any = None  # lazily translated: which other channel to use meanwhile
    placeholder: str | None = None
    invalid: Any = None  # lazily translated: "Enter a valid e-mail address, like ..."
    # The settings of its hourly budgets (in all, per number prefix); metered channels only.
    budgets: tuple[str, str] | None = None
    per_segment: bool = False  # billed per SMS segment (else per message)
    fallback: str | None = None  # the channel that brings a fresh code when this one fails
    shares: str | None = None  # the channel whose contact it uses (listed once, not twice)
    notices: bool = True  # security notices go out through it too
    address_prefix: str = ""  # how its provider writes the contact: "whatsapp:+91…"
    unit_cost: str | None = None  # the setting of its price per billed unit

    def contact_kind(self, contact: str) -> Channel:
        """The channel whose column holds ``contact`` (itself, unless it has no column or
        shares another channel's)."""
        if self.shares:
            return CHANNELS[self.shares]
        return self if self.column else CHANNELS[detect(contact)]

    def column_for(self, contact: str) -> str:
        """The Customer column to look ``contact`` up in."""
        return self.contact_kind(contact).column or ""


def detect(raw: str) -> str:
    """``email`` when the contact holds an ``@``, else ``sms`` (the ``auto`` rule)."""
    return "email" if "@" in raw else "sms"


def _normalize_any(raw: str, region: str) -> str:
    return CHANNELS[detect(raw)].normalize(raw, region)


def _mask_any(contact: str) -> str:
    return CHANNELS[detect(contact)].mask(contact)


CHANNELS: dict[str, Channel] = {
    "email": Channel(
        name="email",
        label=_l("E-mail"),
        noun=_l("e-mail"),
        short=_l("e-mail"),
        normalize=lambda raw, _region: normalize_email(raw),
        mask=mask_email,
        column="email",
        verified_attr="email_verified_at",
        sender="EMAIL_BACKEND",
        templates="email",
        html=True,
        has_own_check=False,
        unavailable=_l("E-mail is unavailable right now"),
        instead=_l("You can ask for your code by text message instead."),
        placeholder="nobody@invalid",
        invalid=_l("Enter a valid e-mail address, like name@example.com."),
    ),
    "sms": Channel(
        name="sms",
        label=_l("Text message (SMS)"),
        noun=_l("text message"),
        short=_l("SMS"),
        normalize=normalize_phone,
        mask=mask_phone,
        column="phone",
        verified_attr="phone_verified_at",
        sender="SMS_BACKEND",
        templates="sms",
        html=False,
        has_own_check=False,
        metered=True,
        budgets=("SMS_MAX_PER_HOUR", "SMS_MAX_PER_PREFIX_PER_HOUR"),
        unit_cost="SMS_UNIT_COST",
        per_segment=True,
        unavailable=_l("Text messages are unavailable right now"),
        instead=_l("You can ask for your code by e-mail instead."),
        placeholder="+10000000000",
        invalid=_l("Enter a valid mobile number, like 98765 43210."),
    ),
    "whatsapp": Channel(
        name="whatsapp",
        label=_l("WhatsApp"),
        noun=_l("WhatsApp"),
        short=_l("WhatsApp"),
        normalize=normalize_phone,
        mask=mask_phone,
        column="phone",
        verified_attr="phone_verified_at",
        sender="WHATSAPP_BACKEND",
        templates="whatsapp",
        html=False,
        has_own_check=False,
        metered=True,
        unavailable=_l("WhatsApp is unavailable right now"),
        instead=_l("You can ask for your code by text message instead."),
        placeholder="+10000000000",
        invalid=_l("Enter a valid mobile number, like 98765 43210."),
        budgets=("WHATSAPP_MAX_PER_HOUR", "WHATSAPP_MAX_PER_PREFIX_PER_HOUR"),
        unit_cost="WHATSAPP_UNIT_COST",
        fallback="sms",
        shares="sms",
        # A notice is no authentication template: WhatsApp would need another, approved one.
        notices=False,
        address_prefix="whatsapp:",
    ),
    "app": Channel(
        name="app",
        label=_l("Authenticator app"),
        noun=_l("authenticator app"),
        short=_l("app"),
        normalize=_normalize_any,
        mask=_mask_any,
        column=None,  # typed as an e-mail address or phone number
        verified_attr=None,  # a code from the app proves nothing about the contact
        sender=None,
        templates=None,
        html=False,
        has_own_check=True,
    ),
}


def get(name: str) -> Channel:
    """The channel called ``name``; ``InvalidContact`` for an unknown name."""
    try:
        return CHANNELS[name]
    except KeyError:
        raise InvalidContact("Choose how to sign in.") from None


def normalize(channel: str, raw: str, region: str) -> str:
    """Normalize ``raw`` as the contact kind of ``channel``."""
    return get(channel).normalize(raw, region)


def mask(channel: str, contact: str) -> str:
    """A display form: enough to recognise, e.g. ``t***@example.com``, ``+91******3210``."""
    return get(channel).mask(contact)


def sending() -> list[Channel]:
    """The channels that deliver messages through a sender."""
    return [c for c in CHANNELS.values() if c.sender]


def contact_channels() -> list[Channel]:
    """The channels owning a customer column (the contacts a customer has on file)."""
    return [c for c in CHANNELS.values() if c.column and not c.shares]


def offered(config: Mapping[str, Any]) -> list[Channel]:
    """The channels this deployment offers (a sender switched ``off`` is not)."""
    return [c for c in CHANNELS.values() if not c.sender or config.get(c.sender) != OFF]


def phone_order(config: Mapping[str, Any]) -> tuple[str, ...]:
    """What ``auto`` tries for a phone number, in order (DELIVERY_PHONE_ORDER)."""
    return tuple(config.get("DELIVERY_PHONE_ORDER") or (detect("0"),))


def budgets(config: Mapping[str, Any], name: str) -> tuple[int, int]:
    """A metered channel's hourly budgets: in all, and per number prefix."""
    settings = CHANNELS[name].budgets
    return (config[settings[0]], config[settings[1]]) if settings else (0, 0)


def answers_phone(name: str) -> bool:
    """Whether the channel's contact is a phone number (what DELIVERY_PHONE_ORDER orders)."""
    return CHANNELS[name].normalize is normalize_phone


def by_address(address: str) -> tuple[Channel, str]:
    """The channel a provider's address belongs to, and the bare contact."""
    for channel in CHANNELS.values():
        if channel.address_prefix and address.startswith(channel.address_prefix):
            return channel, address[len(channel.address_prefix) :]
    return CHANNELS[detect(address)], address
