"""The translation functions the code and the pages use, on Flask-Babel's public API.

The catalog is ``flask_babel.get_translations()``: the request's locale (or the one
``force_locale`` sets), Flask-Babel's own cache of loaded catalogs. ``gettext`` and
``lazy_gettext`` answer as Flask-Babel's do; ``page_gettext`` and ``page_ngettext`` as
Jinja's new-style ``_()`` and ``ngettext()`` do, in one call each instead of three.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from babel.support import NullTranslations
from flask import g
from flask_babel import Babel, get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

babel = Babel()
CATALOG_KEY = "otpauth_catalog"  # on g: (the locale, its catalog)
# Per catalog, the finished text of each string without variables the pages translated.
_WITHOUT_VARIABLES: WeakKeyDictionary[NullTranslations, dict[tuple[str, bool], str]] = (
    WeakKeyDictionary()
)
MEMO_LIMIT = 5000  # the templates hold a few hundred strings; this only bounds a bug


def translations() -> NullTranslations:
    """This request's catalog (in the forced locale inside ``force_locale``).

    ``get_translations()`` once per request and locale: kept on ``g`` beside the locale
    object it is for, and used while ``get_locale()`` answers that same object (so
    ``force_locale`` and ``refresh`` get their own). ``get_locale()`` alone is a third of
    ``get_translations()``'s work, and a page asks for ~50 strings.
    """
    if not g:  # no app context: Flask-Babel's answer (an empty catalog)
        return get_translations()
    locale, kept = get_locale(), g.get(CATALOG_KEY)
    if kept is None or kept[0] is not locale:
        kept = (locale, get_translations())
        setattr(g, CATALOG_KEY, kept)
    return kept[1]


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
