"""Settings: one class per profile, values read from the environment and checked once.

Nothing else in the code base reads ``os.environ``. A bad value raises ``ConfigError``,
whose one-line message names the variable; ``wsgi.py`` turns it into that line on stderr
and an exit, never a traceback.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

SERVICE_NAME = "Waste Billing"  # the default of SITE_NAME
SUPPORTED_LANGUAGES = ("en", "hi")  # languages with a message catalog in otpauth/translations
# Keys once printed in this file: never a working key anywhere, refused in production.
PUBLISHED_KEYS = ("dev-only-not-secret-change-me", "testing-secret-key")
SECRET_KEY_FILE = "secret_key"  # under instance/: development's generated key
CUSTOMER_TYPES = ("Household", "Commercial", "Industrial", "Institutional")
STAFF_ROLES = ("admin", "support")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, message: str) -> None:
        super().__init__(f"otpauth: configuration error: {message}")


def _integer(name: str, raw: str, minimum: int, maximum: int | None) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise ConfigError(f"{name}={raw!r} must be at least {minimum}{upper}")
    return value


def _boolean(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} must be true or false")


def _choice(options: tuple[str, ...]) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ConfigError(f"{name}={raw!r} must be one of: {', '.join(options)}")
        return value

    return parse


def _int(minimum: int, maximum: int | None = None) -> Callable[[str, str], int]:
    return lambda name, raw: _integer(name, raw, minimum, maximum)


def _text(name: str, raw: str) -> str:
    return raw.strip()


def _region(name: str, raw: str) -> str:
    value = raw.strip().upper()
    if len(value) != 2 or not value.isalpha():
        raise ConfigError(f"{name}={raw!r} must be a two-letter region code such as IN")
    return value


def _regions(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated region codes, or ``*`` for every region (an empty tuple)."""
    if raw.strip() == "*":
        return ()
    parts = [part for part in raw.split(",") if part.strip()]
    if not parts:
        raise ConfigError(f"{name}={raw!r} must list region codes such as IN,NP, or be *")
    return tuple(_region(name, part) for part in parts)


def _words(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated values, blanks dropped, order kept."""
    values = tuple(part.strip() for part in raw.split(",") if part.strip())
    if not values:
        raise ConfigError(f"{name}={raw!r} must list at least one value")
    return values


def _languages(name: str, raw: str) -> tuple[str, ...]:
    values = tuple(v.lower() for v in _words(name, raw))
    unknown = [v for v in values if v not in SUPPORTED_LANGUAGES]
    if unknown:
        raise ConfigError(
            f"{name}={raw!r}: {unknown[0]!r} is not one of {', '.join(SUPPORTED_LANGUAGES)}"
        )
    return values


def _timezone(name: str, raw: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = raw.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name}={raw!r} is not a time zone such as Asia/Kolkata") from None
    return value


# name -> parser. Only these (and RATELIMIT_*) are read from the environment.
PARSERS: dict[str, Callable[[str, str], Any]] = {
    "SECRET_KEY": _text,
    "DATABASE_URL": _text,
    "REDIS_URL": _text,
    "OTP_LENGTH": _int(4, 10),
    "OTP_TTL_SECONDS": _int(1, 86400),
    "OTP_MAX_ATTEMPTS": _int(1, 100),
    "OTP_RESEND_COOLDOWN_SECONDS": _int(0, 86400),
    "OTP_MAX_REQUESTS": _int(1, 1000),
    "OTP_REQUEST_WINDOW_SECONDS": _int(1, 7 * 86400),
    "OTP_MAX_FAILURES_PER_DAY": _int(1, 10000),
    "SESSION_LIFETIME_SECONDS": _int(60, 30 * 86400),
    "EMAIL_BACKEND": _choice(("console", "smtp")),
    "SMS_BACKEND": _choice(("console", "twilio")),
    "MAIL_SERVER": _text,
    "MAIL_PORT": _int(1, 65535),
    "MAIL_USE_TLS": _boolean,
    "MAIL_USE_SSL": _boolean,
    "MAIL_USERNAME": _text,
    "MAIL_PASSWORD": _text,
    "MAIL_DEFAULT_SENDER": _text,
    "TWILIO_ACCOUNT_SID": _text,
    "TWILIO_AUTH_TOKEN": _text,
    "TWILIO_FROM_NUMBER": _text,
    "PHONE_DEFAULT_REGION": _region,
    "DELIVERY_MODE": _choice(("inline", "queue")),
    "PUBLIC_HOST": _text,
    "TRUSTED_PROXIES": _int(0, 10),
    # Sessions (customers and staff) and the proof-of-work challenge.
    "SESSION_IDLE_SECONDS": _int(1, 30 * 86400),
    "ADMIN_SESSION_IDLE_SECONDS": _int(1, 30 * 86400),
    "ADMIN_SESSION_LIFETIME_SECONDS": _int(1, 30 * 86400),
    "CHALLENGE_MODE": _choice(("off", "auto", "always")),
    "CHALLENGE_THRESHOLD_PER_MINUTE": _int(1, 10**7),
    "STAFF_PASSWORD_SLOTS": _int(1, 64),
    "RATELIMIT_IPV6_PREFIX": _int(8, 128),
    # Authenticator apps.
    "TOTP_ENCRYPTION_KEYS": _words,
    # Delivery defences and observability.
    "SMS_ALLOWED_REGIONS": _regions,
    "SMS_MAX_PER_HOUR": _int(1, 10**9),
    "SMS_MAX_PER_PREFIX_PER_HOUR": _int(1, 10**9),
    "DELIVERY_BREAKER_FAILURES": _int(1, 10**6),
    "DELIVERY_BREAKER_SECONDS": _int(1, 86400),
    "QUEUE_REDIS_URL": _text,
    "METRICS_TOKEN": _text,
    "AUDIT_SPOOL_DIR": _text,
    # Pages for every customer.
    "LANGUAGES": _languages,
    "SITE_NAME": _text,
    "SUPPORT_PHONE": _text,
    "SUPPORT_HOURS": _text,
    "DISPLAY_TIMEZONE": _timezone,
    # OpenID Connect provider.
    "PUBLIC_URL": _text,
    "OIDC_ISSUER": _text,
    "OIDC_ID_TOKEN_SECONDS": _int(30, 86400),
    "OIDC_ACCESS_TOKEN_SECONDS": _int(30, 86400),
    "OIDC_REFRESH_TOKEN_SECONDS": _int(0, 365 * 86400),
    "OIDC_SIGNING_ALG": lambda name, raw: _choice(("rs256", "es256"))(name, raw).upper(),
}

# Flask-Limiter settings that are booleans; every other RATELIMIT_* passes through as text.
_RATELIMIT_BOOLEANS = {
    "RATELIMIT_ENABLED",
    "RATELIMIT_HEADERS_ENABLED",
    "RATELIMIT_SWALLOW_ERRORS",
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED",
    "RATELIMIT_FAIL_ON_FIRST_BREACH",
}


class Config:
    """Defaults shared by every profile (the contract's settings table)."""

    ENV_NAME = "base"
    SECRET_KEY: str | None = None
    DATABASE_URL: str | None = None  # None: SQLite file under instance/
    REDIS_URL: str | None = None  # None: embedded fakeredis, one process only
    OTP_LENGTH = 6
    OTP_TTL_SECONDS = 300
    OTP_MAX_ATTEMPTS = 5
    OTP_RESEND_COOLDOWN_SECONDS = 60
    OTP_MAX_REQUESTS = 5
    OTP_REQUEST_WINDOW_SECONDS = 3600
    OTP_MAX_FAILURES_PER_DAY = 20
    SESSION_LIFETIME_SECONDS = 28800
    EMAIL_BACKEND = "smtp"
    SMS_BACKEND = "twilio"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "no-reply@localhost"
    TWILIO_ACCOUNT_SID: str | None = None
    TWILIO_AUTH_TOKEN: str | None = None
    TWILIO_FROM_NUMBER: str | None = None
    PHONE_DEFAULT_REGION = "IN"
    DELIVERY_MODE = "inline"
    PUBLIC_HOST = "localhost"
    TRUSTED_PROXIES = 0
    # Per-IP limits (Flask-Limiter). The three OTP_* limits are ours, applied per view.
    RATELIMIT_ENABLED = True
    # X-RateLimit-* headers cost two more Redis round trips per limit and request;
    # a refusal's 429 carries Retry-After either way.
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_KEY_PREFIX = "otpauth-rl"
    RATELIMIT_OTP_REQUEST = "10 per minute; 60 per hour"
    RATELIMIT_OTP_VERIFY = "30 per minute; 300 per hour"
    RATELIMIT_OTP_RESEND = "5 per minute; 30 per hour"
    # The console's password, code and setup forms (each counted on its own).
    RATELIMIT_ADMIN_LOGIN = "10 per minute; 60 per hour"
    RATELIMIT_IPV6_PREFIX = 64
    SESSION_IDLE_SECONDS = 1800
    ADMIN_SESSION_IDLE_SECONDS = 900
    ADMIN_SESSION_LIFETIME_SECONDS = 28800
    CHALLENGE_MODE = "auto"
    CHALLENGE_THRESHOLD_PER_MINUTE = 300
    # Staff password hashes (Argon2) at once, across all workers sharing the Redis.
    STAFF_PASSWORD_SLOTS = 2
    TOTP_ENCRYPTION_KEYS: tuple[str, ...] = ()  # empty: one key derived from SECRET_KEY
    SMS_ALLOWED_REGIONS: tuple[str, ...] | None = None  # None: (PHONE_DEFAULT_REGION,); (): any
    SMS_MAX_PER_HOUR = 1000
    SMS_MAX_PER_PREFIX_PER_HOUR = 20
    DELIVERY_BREAKER_FAILURES = 5
    DELIVERY_BREAKER_SECONDS = 60
    QUEUE_REDIS_URL: str | None = None  # None: REDIS_URL
    METRICS_TOKEN: str | None = None
    AUDIT_SPOOL_DIR: str | None = None  # None: instance/audit-spool (audit events not yet in SQL)
    LANGUAGES: tuple[str, ...] = SUPPORTED_LANGUAGES
    SITE_NAME = SERVICE_NAME
    SUPPORT_PHONE: str | None = None
    SUPPORT_HOURS: str | None = None
    DISPLAY_TIMEZONE = "Asia/Kolkata"
    PUBLIC_URL: str | None = None  # None: https://<PUBLIC_HOST> (development: localhost:5000)
    OIDC_ISSUER: str | None = None  # None: PUBLIC_URL
    OIDC_ID_TOKEN_SECONDS = 300
    OIDC_ACCESS_TOKEN_SECONDS = 600
    OIDC_REFRESH_TOKEN_SECONDS = 2592000  # 0: no refresh tokens
    OIDC_SIGNING_ALG = "RS256"
    RATELIMIT_OAUTH_TOKEN = "60 per minute; 600 per hour"
    RATELIMIT_OAUTH_AUTHORIZE = "60 per minute; 600 per hour"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "otpauth_session"
    # The cookie only names the server-side session, whose idle and total limits Redis
    # enforces: re-signing an unchanged cookie on every response is work for nothing.
    SESSION_REFRESH_EACH_REQUEST = False
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session it is bound to
    MAX_CONTENT_LENGTH = 64 * 1024  # forms are tiny; refuse anything large with 413
    # hide_parameters: SQL errors must never carry a contact into a log line.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    # No SECRET_KEY here: finalize() generates one under instance/ (see instance_secret_key).
    EMAIL_BACKEND = "console"
    SMS_BACKEND = "console"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


PROFILES: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the settings of the profile named by OTPAUTH_ENV, overlaid with the environment."""
    environ = os.environ if environ is None else environ
    profile_name = environ.get("OTPAUTH_ENV", "development").strip().lower() or "development"
    if profile_name not in PROFILES:
        raise ConfigError(f"OTPAUTH_ENV={profile_name!r} must be one of: {', '.join(PROFILES)}")
    profile = PROFILES[profile_name]
    settings = {key: getattr(profile, key) for key in dir(profile) if key.isupper()}
    for name, parse in PARSERS.items():
        raw = environ.get(name)
        if raw is not None and raw.strip() != "":
            settings[name] = parse(name, raw)
    for name, raw in environ.items():
        if name.startswith("RATELIMIT_") and name not in PARSERS:
            settings[name] = _boolean(name, raw) if name in _RATELIMIT_BOOLEANS else raw
    return settings


def finalize(settings: dict[str, Any], instance_path: str) -> dict[str, Any]:
    """Derive the dependent settings and refuse unsafe production set-ups."""
    check(settings)
    if not settings.get("SECRET_KEY"):
        # Never a key printed in the source: development keeps one random key per instance
        # directory; testing draws a new one for every app.
        dev = settings.get("ENV_NAME") == "development"
        settings["SECRET_KEY"] = (
            instance_secret_key(instance_path) if dev else secrets.token_hex(32)
        )
    if not settings.get("DATABASE_URL"):
        settings["DATABASE_URL"] = "sqlite:///" + os.path.join(instance_path, "otpauth.sqlite")
    settings["SQLALCHEMY_DATABASE_URI"] = settings["DATABASE_URL"]
    settings["PERMANENT_SESSION_LIFETIME"] = settings["SESSION_LIFETIME_SECONDS"]
    if settings.get("SMS_ALLOWED_REGIONS") is None:
        settings["SMS_ALLOWED_REGIONS"] = (settings["PHONE_DEFAULT_REGION"],)
    if not settings.get("QUEUE_REDIS_URL"):
        settings["QUEUE_REDIS_URL"] = settings.get("REDIS_URL")
    _public_url(settings)
    if settings["MAIL_USE_TLS"] and settings["MAIL_USE_SSL"]:
        raise ConfigError("MAIL_USE_TLS and MAIL_USE_SSL cannot both be true")
    return settings


def _public_url(settings: dict[str, Any]) -> None:
    """PUBLIC_URL (and from it PUBLIC_HOST, OIDC_ISSUER) when not set."""
    url = settings.get("PUBLIC_URL")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"PUBLIC_URL={url!r} must be an http(s) URL such as https://host")
        settings["PUBLIC_URL"] = url.rstrip("/")
        if settings.get("PUBLIC_HOST", "localhost") == "localhost":
            settings["PUBLIC_HOST"] = parts.hostname
    elif settings.get("ENV_NAME") == "development":
        settings["PUBLIC_URL"] = "http://localhost:5000"
    else:
        settings["PUBLIC_URL"] = f"https://{settings.get('PUBLIC_HOST') or 'localhost'}"
    settings["OIDC_ISSUER"] = (settings.get("OIDC_ISSUER") or settings["PUBLIC_URL"]).rstrip("/")


def check(settings: Mapping[str, Any]) -> None:
    """Refuse a production start that could leak codes or lose state."""
    if settings.get("ENV_NAME") != "production":
        return
    if not settings.get("SECRET_KEY"):
        raise ConfigError("SECRET_KEY is required in production")
    if settings["SECRET_KEY"] in PUBLISHED_KEYS or len(settings["SECRET_KEY"]) < 16:
        raise ConfigError("SECRET_KEY must be a long random value in production")
    if not settings.get("REDIS_URL"):
        raise ConfigError(
            "REDIS_URL is required in production (the embedded Redis is one process only)"
        )
    for name in ("EMAIL_BACKEND", "SMS_BACKEND"):
        if settings.get(name) == "console":
            raise ConfigError(
                f"{name}=console is refused in production: codes must never be printed"
            )


def prometheus_multiproc_dir() -> tuple[str, bool]:
    """prometheus-client's ``PROMETHEUS_MULTIPROC_DIR``, and whether it was unset.

    The library reads the variable when it is imported, so this runs when this module is
    imported (``otpauth`` imports it before any of its modules). Unset (development,
    tests): one directory per process group, so gunicorn's workers and their master share
    one; the variable is set for the library.
    """
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        return given, False
    path = os.path.join(tempfile.gettempdir(), f"otpauth-metrics-{os.getuid()}-{os.getpgrp()}")
    os.makedirs(path, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path, True


def instance_secret_key(instance_path: str) -> str:
    """The key kept in ``instance/secret_key`` (mode 600), generated on the first start."""
    path = os.path.join(instance_path, SECRET_KEY_FILE)
    if not os.path.exists(path):
        os.makedirs(instance_path, exist_ok=True)
        draft = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
        try:
            os.link(draft, path)  # atomic: two processes starting at once keep one key
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    if os.stat(path).st_mode & 0o077:
        os.chmod(path, 0o600)
    with open(path, encoding="ascii") as key_file:
        key = key_file.read().strip()
    if len(key) < 32:
        raise ConfigError(f"{path} does not hold a key; delete it to generate a new one")
    return key


def _local_url(url: str) -> bool:
    """True for SQLite, a Unix socket or loopback hosts (every host of a cluster URL)."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite") or parts.scheme == "unix":
        return True
    hosts = parts.netloc.rpartition("@")[2].split(",")
    for host in hosts:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 or "]" in host else host
        if name.strip("[]").lower() not in ("", "localhost", "::1") and not name.startswith("127."):
            return False
    return True


def start_warnings(settings: Mapping[str, Any]) -> list[str]:
    """Lines to log at start: real services reached by a profile that is not production."""
    if settings.get("ENV_NAME") == "production":
        return []
    return [
        f"{name} points at a non-local server but OTPAUTH_ENV is {settings.get('ENV_NAME')!r}: "
        "set OTPAUTH_ENV=production (and its SECRET_KEY) for real data"
        for name in ("DATABASE_URL", "REDIS_URL", "QUEUE_REDIS_URL")
        if settings.get(name)
        and not _local_url(settings[name])
        and (name != "QUEUE_REDIS_URL" or settings[name] != settings.get("REDIS_URL"))
    ]


# prometheus-client reads PROMETHEUS_MULTIPROC_DIR when it is imported: chosen before that.
METRICS_DIR, METRICS_DIR_DEFAULTED = prometheus_multiproc_dir()
