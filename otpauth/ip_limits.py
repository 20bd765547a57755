"""The sign-in views' per-IP limits, every window of a view counted in one Redis call.

The limits are Flask-Limiter's settings (``RATELIMIT_OTP_*``, parsed by ``limits``) and,
by default, Flask-Limiter's fixed windows: a window starts at its first hit, every hit
counts (a refused one too), and the first window over its amount refuses. Flask-Limiter
checks a view's windows one script call at a time and works its limits out anew on every
request; the sign-in views carry two windows each, so here all of them go in one script,
with the parsed windows kept. That is one round trip instead of two on each POST, and
~4 % of a login's CPU.

Only while Flask-Limiter's other settings are its defaults (``applies``): anything else
(another strategy or storage, headers, app-wide or meta limits, fallbacks) hands the views
back to Flask-Limiter, which then behaves exactly as documented. The keys of one client
share a hash tag (one Redis Cluster slot) and live as long as their window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many

from .client_ip import client_network
from .extensions import limiter

# The RATELIMIT_* settings the one-call path honours (see ``applies``); any other one set
# hands the views to Flask-Limiter.
UNDERSTOOD = {
    "RATELIMIT_ENABLED",
    "RATELIMIT_KEY_PREFIX",
    "RATELIMIT_IPV6_PREFIX",
    "RATELIMIT_OTP_REQUEST",
    "RATELIMIT_OTP_VERIFY",
    "RATELIMIT_OTP_RESEND",
    "RATELIMIT_ADMIN_LOGIN",
    # The OAuth endpoints' own limits: Flask-Limiter's decorator counts them on those views
    # alone, so they change nothing the one-call path does for the sign-in views.
    "RATELIMIT_OAUTH_TOKEN",
    "RATELIMIT_OAUTH_AUTHORIZE",
    "RATELIMIT_STORAGE_URI",  # only as init_limiter chose it: the app's Redis
    "RATELIMIT_STORAGE_OPTIONS",
    "RATELIMIT_STRATEGY",  # only fixed-window
    "RATELIMIT_HEADERS_ENABLED",  # only off
    "RATELIMIT_FAIL_ON_FIRST_BREACH",  # only on
}
FAST = "otpauth.ip_limits_in_one_call"  # app.extensions: whether ``applies``
SCRIPT = "otpauth.ip_limits_script"  # app.extensions: the script, on the app's client

# KEYS: the windows, shortest first. ARGV: each window's amount and seconds, in turn.
# Returns 0, or the seconds until the first full window ends.
_HIT = """
for i, key in ipairs(KEYS) do
  local amount, seconds = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, seconds) end
  if count > amount then
    return math.max(redis.call('TTL', key), 1)
  end
end
return 0
"""


class TooManyFromNetwork(Exception):
    """A per-IP limit refused the request; ``retry_after`` seconds until it may pass."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"per-IP limit, retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Window:
    amount: int
    seconds: int
    name: str  # e.g. 10/1/minute, as the key shows it


@lru_cache(maxsize=64)
def windows(setting: str) -> tuple[Window, ...]:
    """The windows of a limit string (``10 per minute; 60 per hour``), shortest first; an
    empty string is no limit, as for Flask-Limiter."""
    items: list[RateLimitItem] = sorted(parse_many(setting)) if setting else []
    return tuple(
        Window(i.amount, i.get_expiry(), f"{i.amount}/{i.multiples}/{i.GRANULARITY.name}")
        for i in items
    )


def init_app(app: Flask, client: Any, own_storage: bool) -> None:
    """Decide once whether this app takes the one-call path; if so, bind its script."""
    app.extensions[FAST] = applies(app, own_storage)
    if app.extensions[FAST]:
        app.extensions[SCRIPT] = client.register_script(_HIT)


def applies(app: Flask, own_storage: bool) -> bool:
    """Whether the one-call path keeps Flask-Limiter's meaning of every setting in force.

    ``own_storage``: the counters are in the app's Redis (ops set no storage of their own).
    """
    c = app.config
    if not (own_storage and c.get("RATELIMIT_ENABLED", True)):
        return False
    if c.get("RATELIMIT_STRATEGY") not in (None, "fixed-window"):
        return False
    if c.get("RATELIMIT_HEADERS_ENABLED") or c.get("RATELIMIT_FAIL_ON_FIRST_BREACH") is False:
        return False
    return all(k in UNDERSTOOD or not c[k] for k in c if k.startswith("RATELIMIT_"))


def hit(setting_name: str, scope: str) -> None:
    """Count this request in every window of ``setting_name``; refuse when one is full."""
    c = current_app.config
    found = windows(c[setting_name])
    if not found:
        return
    network = client_network()
    prefix = f"{c.get('RATELIMIT_KEY_PREFIX') or 'otpauth-rl'}:{{{network}}}:{scope}"
    keys = [f"{prefix}:{w.name}" for w in found]
    args = [value for w in found for value in (w.amount, w.seconds)]
    wait = int(current_app.extensions[SCRIPT](keys=keys, args=args))
    if wait:
        raise TooManyFromNetwork(wait)


def per_ip(name: str, scope_prefix: str) -> Callable[[Callable], Callable]:
    """The per-IP limit ``name`` (a ``RATELIMIT_*`` setting) on a view's POSTs.

    While Flask-Limiter's other settings are its defaults, every window of the limit is
    counted in one call (``hit``); otherwise Flask-Limiter's decorator counts them.
    A GET of the same page goes straight to the view either way: the limit is for POSTs
    only, and Flask-Limiter would still work out per request that it does not apply.
    override_defaults=False: a RATELIMIT_DEFAULT set by ops applies here too, GETs
    included: Flask-Limiter checks the defaults of a decorated view in its decorator, so
    with a default set every request goes through it (application limits are checked
    before any view, as before). ``scope_prefix`` (the blueprint's name) and the view's
    name make the counters' key.
    """
    limit = limiter.limit(
        lambda: current_app.config[name], methods=["POST"], override_defaults=False
    )

    def decorate(view: Callable) -> Callable:
        limited = limit(view)
        scope = f"{scope_prefix}.{view.__name__}"

        @wraps(view)
        def dispatch(*args: Any, **kwargs: Any) -> Any:
            if current_app.extensions.get(FAST):
                if request.method == "POST":
                    hit(name, scope)
                return view(*args, **kwargs)
            if request.method == "POST" or current_app.config.get("RATELIMIT_DEFAULT"):
                return limited(*args, **kwargs)
            return view(*args, **kwargs)

        return dispatch

    return decorate
