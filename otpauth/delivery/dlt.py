"""SMS text for India: GSM-7 or UCS-2 and its segments, and the DLT template check.

Every SMS to India must match a template registered on the operators' DLT platform
(TRAI): the fixed text equal, at most two variables (``{#var#}``), each value at most 30
characters; otherwise operators drop it silently. ``check`` renders each language's SMS
with a sample code and matches it against ``SMS_DLT_TEMPLATE``: at start (production
refuses to start on a mismatch, naming the language) and in ``flask sms check``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec

VARIABLE = "{#var#}"
MAX_VARIABLES = 2  # TRAI, since 18 Nov 2025
MAX_VALUE = 30  # characters in one variable's value
ALL_LANGUAGES = "*"  # a template given as plain text holds for every language


class Encoding(Enum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class Segments:
    """How a text travels: its encoding, its length in that encoding's units, the parts."""

    encoding: Encoding
    length: int  # septets (GSM-7, an extension character counts two) or UTF-16 code units
    count: int


def segments(text: str) -> Segments:
    """GSM-7 when every character has a GSM 03.38 code (160 a part, 153 when split),
    else UCS-2 (70 code units, 67 when split)."""
    try:
        length, single, part = len(text.encode("gsm03.38")), 160, 153
        encoding = Encoding.GSM7
    except UnicodeEncodeError:
        length, single, part = len(text.encode("utf-16-le")) // 2, 70, 67
        encoding = Encoding.UCS2
    return Segments(encoding, length, 1 if length <= single else math.ceil(length / part))


@dataclass(frozen=True)
class Match:
    """Whether a text matches a template; ``problem`` says why not."""

    ok: bool
    problem: str = ""
    values: tuple[str, ...] = ()


def match(template: str, text: str) -> Match:
    """Match ``text`` against a DLT ``template`` (``{#var#}`` for each variable)."""
    fixed = template.split(VARIABLE)
    variables = len(fixed) - 1
    if variables > MAX_VARIABLES:
        return Match(False, f"the template has {variables} variables; DLT allows {MAX_VARIABLES}")
    found = re.fullmatch("(.*?)".join(map(re.escape, fixed)), text, re.DOTALL)
    if found is None:
        return Match(False, "its fixed text differs from the template's")
    values = found.groups()
    longest = max(values, key=len, default="")
    if len(longest) > MAX_VALUE:
        return Match(False, f"a variable holds {len(longest)} characters; DLT allows {MAX_VALUE}")
    return Match(True, values=values)


def for_language(per_language: dict[str, str], language: str) -> str | None:
    """The template or id of ``language`` (or the one for every language), if any."""
    return per_language.get(language, per_language.get(ALL_LANGUAGES))


@dataclass(frozen=True)
class LanguageCheck:
    """One language's SMS: its text, how it travels, and the template match (None: no
    template set for it)."""

    language: str
    text: str
    segments: Segments
    match: Match | None


def check(texts: dict[str, str], templates: dict[str, str]) -> list[LanguageCheck]:
    """Each language's rendered SMS ``texts`` against its template."""
    results = []
    for language, text in texts.items():
        template = for_language(templates, language)
        found = None if template is None else match(template, text)
        results.append(LanguageCheck(language, text, segments(text), found))
    return results


def first_mismatch(results: list[LanguageCheck]) -> str | None:
    """The start's one-line refusal for the first language that does not match, or None."""
    for result in results:
        if result.match is not None and not result.match.ok:
            return (
                f"SMS_DLT_TEMPLATE does not match the {result.language!r} SMS text: "
                f"{result.match.problem}"
            )
    return None
