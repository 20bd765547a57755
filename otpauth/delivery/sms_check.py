"""The DLT check of every language's SMS, at start (``flask --app wsgi sms check`` too).

Each language in LANGUAGES renders its code SMS with a sample code; the text must match the
registered DLT template (``SMS_DLT_TEMPLATE``, see ``dlt``). At start a mismatch stops a
production instance with one line naming the language (operators would drop every such
SMS without a word) and is a warning elsewhere; no template set, nothing is checked.
"""

from __future__ import annotations

import logging

from flask import Flask

from config import ConfigError

from ..signin import channels
from .dlt import LanguageCheck, check, first_mismatch
from .messages import render_message

log = logging.getLogger(__name__)
SAMPLE_NUMBER = "+919876543210"


def sample_code(length: int) -> str:
    """A code of the configured length (every code's length: the variable's is the same)."""
    return ("1234567890" * 2)[:length]


def rendered(app: Flask) -> dict[str, str]:
    """Each language's code SMS, rendered as it goes out."""
    sms = channels.detect(SAMPLE_NUMBER)
    code = sample_code(app.config["OTP_LENGTH"])
    with app.app_context():
        return {
            lang: render_message(sms, SAMPLE_NUMBER, code, lang).text
            for lang in app.config["LANGUAGES"]
        }


def checked(app: Flask) -> list[LanguageCheck]:
    """Each language's SMS against its template."""
    return check(rendered(app), app.config["SMS_DLT_TEMPLATE"])


def enforce(app: Flask) -> None:
    """At start: refuse (production) or warn about a language whose SMS the template
    does not match."""
    if not app.config["SMS_DLT_TEMPLATE"]:
        return
    problem = first_mismatch(checked(app))
    if problem is None:
        return
    if app.config.get("ENV_NAME") == "production":
        raise ConfigError(problem)
    log.warning("%s (production would refuse to start)", problem)
