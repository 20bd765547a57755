"""The request's message catalog, found once per request, and the translation functions.

Flask-Babel looks the catalog up anew for every string it translates (the locale, its
identifier, a dictionary look-up: a dozen context-local hops), and a page has fifty
strings. Here the catalog is kept on the request's Babel context as
``babel_translations``, the attribute ``force_locale`` and ``refresh`` already reset and
restore, so a forced locale (a message in the customer's language) still gets its own.
``gettext`` and ``lazy_gettext`` answer as Flask-Babel's do; ``page_gettext`` and
``page_ngettext`` as Jinja's new-style ``_()`` and ``ngettext()`` do.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any
from weakref import WeakKeyDictionary

from babel.support import NullTranslations
from flask import g
from flask_babel import Babel, Domain
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup


class RequestDomain(Domain):
    """Flask-Babel's message domain, with the catalog kept on the request's Babel context."""

    def get_translations(self) -> NullTranslations:
        try:
            context = g._flask_babel
        except (AttributeError, RuntimeError):  # no locale chosen yet, or no app context
            return super().get_translations()
        found = getattr(context, "babel_translations", None)
        if found is None:
            found = context.babel_translations = super().get_translations()
        return found


class RequestBabel(Babel):
    """Flask-Babel with the ``RequestDomain``."""

    @cached_property
    def domain_instance(self) -> Domain:
        return RequestDomain(domain=self.domain)


babel = RequestBabel()
# Per catalog, the finished text of each string without variables the pages translated.
_WITHOUT_VARIABLES: WeakKeyDictionary[NullTranslations, dict[tuple[str, bool], str]] = (
    WeakKeyDictionary()
)
MEMO_LIMIT = 5000  # the templates hold a few hundred strings; this only bounds a bug


def translations() -> NullTranslations:
    """This request's catalog (in the forced locale inside ``force_locale``)."""
    return babel.domain_instance.get_translations()


def gettext(string: str, **variables: Any) -> str:
    """``string`` in the request's language, ``%``-formatted with ``variables`` if any."""
    found = translations().ugettext(string)
    return found % variables if variables else found


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """``gettext`` when the text is used (form labels and messages defined at import)."""
    return LazyString(gettext, string, **variables)


@pass_eval_context
def page_gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
    """The pages' ``_()``: Jinja's new-style gettext in one call instead of three.

    The same answer as Jinja's: translated, marked safe where the template autoescapes (so
    the ``%`` formatting escapes the variables), and always formatted (``%%`` is ``%``).
    A string without variables is worked out once per catalog (most of a page's are).
    """
    catalog = translations()
    if variables:
        return _formatted(catalog.ugettext(string), eval_ctx, variables)
    done = _WITHOUT_VARIABLES.get(catalog)
    if done is None:
        done = _WITHOUT_VARIABLES[catalog] = {}
    key = (string, eval_ctx.autoescape)
    answer = done.get(key)
    if answer is None:
        answer = _formatted(catalog.ugettext(string), eval_ctx, {})
        if len(done) < MEMO_LIMIT:
            done[key] = answer
    return answer


@pass_eval_context
def page_ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables: Any
) -> str:
    """The pages' ``ngettext()``, likewise; ``num`` is also ``%(num)d``."""
    variables.setdefault("num", num)
    return _formatted(translations().ungettext(singular, plural, num), eval_ctx, variables)


def _formatted(found: str, eval_ctx: EvalContext, variables: dict[str, Any]) -> str:
    """As Jinja's new-style gettext answers: safe where autoescaping, always formatted."""
    return (Markup(found) if eval_ctx.autoescape else found) % variables
