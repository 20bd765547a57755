"""Languages and local times: Flask-Babel, the locale choice, and the Jinja helpers.

The locale is ``?lang=`` (remembered in a cookie), else the cookie, else the browser's
``Accept-Language``, else the first of ``LANGUAGES``; only languages in ``LANGUAGES``
are ever chosen. Times shown to people are in ``DISPLAY_TIMEZONE``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_request_context, render_template, request
from flask_babel import format_datetime, get_locale, ngettext
from markupsafe import Markup
from werkzeug.wrappers import Response

from .catalog import babel, page_gettext, page_ngettext, translations

LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 86400
# Each language's own name, as its speakers write it (the switcher shows these).
NATIVE_NAMES = {"en": "English", "hi": "हिन्दी"}


def _offered() -> tuple[str, ...]:
    return current_app.config["LANGUAGES"]


def select_locale() -> str:
    """``?lang=``, the cookie, ``Accept-Language``, or the default: always one offered."""
    offered = _offered()
    if has_request_context():
        for wanted in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
            if isinstance(wanted, str) and wanted.lower() in offered:
                return wanted.lower()
        best = request.accept_languages.best_match(offered)
        if best:
            return best
    return offered[0]


def current_language() -> str:
    """The language of this request, as a two-letter code (``en``, ``hi``).

    Flask-Babel's ``get_locale()``: chosen once per request, the forced one inside
    ``force_locale``.
    """
    locale = get_locale()
    return locale.language if locale is not None else _offered()[0]


def remember_language(response: Response) -> Response:
    """Keep a valid ``?lang=`` choice in a cookie so the next pages use it too.

    Pages differ by language, so caches are told what they vary on (written straight into
    the headers: Werkzeug's ``vary`` and ``content_language`` parse them and write back).
    """
    if response.mimetype == "text/html":
        headers = response.headers
        vary = [v.strip() for v in headers.get("Vary", "").split(",") if v.strip()]
        have = {v.lower() for v in vary}
        vary += [v for v in ("Accept-Language", "Cookie") if v.lower() not in have]
        headers["Vary"] = ", ".join(vary)
        if "Content-Language" not in headers:
            headers["Content-Language"] = current_language()
    wanted = request.args.get("lang")
    if wanted:
        _remember(response, wanted.lower())
    return response


def _remember(response: Response, wanted: str) -> None:
    if wanted in _offered() and request.cookies.get(LANG_COOKIE) != wanted:
        response.set_cookie(
            LANG_COOKIE,
            wanted,
            max_age=LANG_COOKIE_MAX_AGE,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )


def local_time(value: datetime | None, pattern: str = "d MMM y, h:mm a") -> str:
    """``value`` (UTC, naive or aware) in DISPLAY_TIMEZONE, in the page's language."""
    if value is None:
        return ""
    return format_datetime(value, pattern)


def time_zone_name() -> str:
    """The abbreviation of DISPLAY_TIMEZONE now, e.g. ``IST``, for column headings."""
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    return datetime.now(zone).tzname() or current_app.config["DISPLAY_TIMEZONE"]


def wait_in_words(seconds: int) -> str:
    """A wait as people say it: seconds up to two minutes, then minutes, then hours."""
    seconds = max(int(seconds), 1)
    if seconds <= 120:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    minutes = -(-seconds // 60)
    if minutes <= 120:
        return ngettext("%(num)d minute", "%(num)d minutes", minutes)
    hours = -(-seconds // 3600)
    return ngettext("%(num)d hour", "%(num)d hours", hours)


def language_links() -> list[dict[str, Any]]:
    """One link per offered language to this page in that language (the switcher).

    Built from this page's own path and a query string encoded here: the request's
    arguments are never handed to ``url_for`` as keywords, where ``endpoint``, ``values``
    or ``_method`` made it raise (a 500) and ``_external``, ``_scheme`` or ``_anchor``
    rewrote the link. Each link is a path on this site, whatever was asked for.
    """
    path = "/" + quote(request.script_root + request.path).lstrip("/")  # never "//host"
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return [
        {
            "code": code,
            "name": NATIVE_NAMES.get(code, code),
            "href": f"{path}?{urlencode([*kept, ('lang', code)])}",
        }
        for code in _offered()
    ]


def fixed_fragment(name: str) -> Markup:
    """Template ``name`` in this request's language, rendered once per language and process.

    Only for fragments that depend on nothing but the settings, the language and where
    the app is mounted (the head and the help footer of every customer page): the settings
    do not change while the app runs.
    """
    cache = current_app.extensions.setdefault("otpauth.fragments", {})
    key = (name, current_language(), request.script_root)
    found = cache.get(key)
    if found is None:
        found = cache[key] = Markup(render_template(name))
    return found


def init_app(app: Flask) -> None:
    """Bind Flask-Babel (BABEL_DEFAULT_*: ``config.finalize``'s) and the Jinja helpers."""
    babel.init_app(app, locale_selector=select_locale)
    # The pages' _() and ngettext() go straight to the request's catalog (see RequestDomain).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(_=page_gettext, gettext=page_gettext, ngettext=page_ngettext)
    app.after_request(remember_language)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["wait_in_words"] = wait_in_words
    app.jinja_env.globals.update(
        current_language=current_language,
        language_links=language_links,
        fixed_fragment=fixed_fragment,
    )
