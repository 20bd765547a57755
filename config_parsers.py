"""How a setting's text from the environment becomes its value, and the error when it can't.

Each parser takes the variable's name and its raw text and returns the value, or raises
``ConfigError`` with a one-line message naming the variable (``wsgi.py`` prints it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SUPPORTED_LANGUAGES = ("en", "hi")  # languages with a message catalog in otpauth/translations

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}

Parser = Callable[[str, str], Any]


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, message: str) -> None:
        super().__init__(f"otpauth: configuration error: {message}")


def integer(name: str, raw: str, minimum: int, maximum: int | None) -> int:
    """A whole number from ``minimum`` to ``maximum`` (None: no upper bound)."""
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise ConfigError(f"{name}={raw!r} must be at least {minimum}{upper}")
    return value


def whole(minimum: int, maximum: int | None = None) -> Parser:
    """The parser of a whole number in a range."""
    return lambda name, raw: integer(name, raw, minimum, maximum)


def boolean(name: str, raw: str) -> bool:
    """true/false, yes/no, on/off, 1/0."""
    lowered = raw.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} must be true or false")


def choice(*options: str) -> Parser:
    """The parser of one of ``options`` (lower-cased)."""

    def parse(name: str, raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ConfigError(f"{name}={raw!r} must be one of: {', '.join(options)}")
        return value

    return parse


def upper_choice(*options: str) -> Parser:
    """One of ``options``, given in any case, answered in upper case (``RS256``)."""
    lowered = choice(*options)
    return lambda name, raw: lowered(name, raw).upper()


def text(name: str, raw: str) -> str:
    """Any text, trimmed."""
    return raw.strip()


def region(name: str, raw: str) -> str:
    """A two-letter region code such as ``IN``."""
    value = raw.strip().upper()
    if len(value) != 2 or not value.isalpha():
        raise ConfigError(f"{name}={raw!r} must be a two-letter region code such as IN")
    return value


def regions(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated region codes, or ``*`` for every region (an empty tuple)."""
    if raw.strip() == "*":
        return ()
    parts = [part for part in raw.split(",") if part.strip()]
    if not parts:
        raise ConfigError(f"{name}={raw!r} must list region codes such as IN,NP, or be *")
    return tuple(region(name, part) for part in parts)


def words(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated values, blanks dropped, order kept."""
    values = tuple(part.strip() for part in raw.split(",") if part.strip())
    if not values:
        raise ConfigError(f"{name}={raw!r} must list at least one value")
    return values


def languages(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated language codes, each with a message catalog."""
    values = tuple(v.lower() for v in words(name, raw))
    unknown = [v for v in values if v not in SUPPORTED_LANGUAGES]
    if unknown:
        raise ConfigError(
            f"{name}={raw!r}: {unknown[0]!r} is not one of {', '.join(SUPPORTED_LANGUAGES)}"
        )
    return values


def timezone(name: str, raw: str) -> str:
    """An IANA time zone name such as ``Asia/Kolkata``."""
    value = raw.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name}={raw!r} is not a time zone such as Asia/Kolkata") from None
    return value


def price(name: str, raw: str) -> Decimal:
    """A price: a non-negative decimal number such as 0.25."""
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise ConfigError(f"{name}={raw!r} is not a number such as 0.25") from None
    if not value.is_finite() or value < 0:
        raise ConfigError(f"{name}={raw!r} must be a number of at least 0")
    return value


def per_language(name: str, raw: str) -> dict[str, str]:
    """One text for every language (``*``; ``\\n`` a line break), or JSON: language -> text."""
    value = raw.strip()
    if not re.match(r'\{\s*"', value):  # a DLT template itself starts with {#var#}
        return {"*": value.replace("\\n", "\n")}
    try:
        parsed = json.loads(value)
    except ValueError:
        raise ConfigError(f'{name} is not valid JSON: give one text, or {{"en": …}}') from None
    if not isinstance(parsed, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
    ):
        raise ConfigError(f'{name} must map languages to texts, such as {{"en": "…"}}')
    unknown = [k for k in parsed if k not in SUPPORTED_LANGUAGES]
    if unknown:
        raise ConfigError(f"{name}: {unknown[0]!r} is not one of {', '.join(SUPPORTED_LANGUAGES)}")
    return parsed


def channel_order(*names: str) -> Parser:
    """Comma-separated channels among ``names``, each once, order kept."""

    def parse(name: str, raw: str) -> tuple[str, ...]:
        values = tuple(v.lower() for v in words(name, raw))
        if any(v not in names for v in values) or len(set(values)) != len(values):
            raise ConfigError(f"{name}={raw!r} must list {' and/or '.join(names)}, once each")
        return values

    return parse
