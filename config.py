"""Settings: the profiles built from ``settings_table``, read from the environment, checked once.

Nothing else in the code base reads ``os.environ``. A bad value raises ``ConfigError``,
whose one-line message names the variable; ``wsgi.py`` turns it into that line on stderr
and an exit, never a traceback. Each setting's name, defaults, parser and meaning are in
``settings_table.SETTINGS``, once.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tempfile
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from config_parsers import SUPPORTED_LANGUAGES, ConfigError, boolean
from settings_table import SERVICE_NAME, SETTINGS

__all__ = ["SERVICE_NAME", "SUPPORTED_LANGUAGES", "ConfigError"]

# Keys once printed in this file: never a working key anywhere, refused in production.
PUBLISHED_KEYS = ("dev-only-not-secret-change-me", "testing-secret-key")
SECRET_KEY_FILE = "secret_key"  # under instance/: development's generated key
CUSTOMER_TYPES = ("Household", "Commercial", "Industrial", "Institutional")
STAFF_ROLES = ("admin", "support")

# name -> parser. Only these (and other RATELIMIT_*) are read from the environment.
PARSERS: dict[str, Callable[[str, str], Any]] = {s.name: s.parse for s in SETTINGS if s.parse}

# Flask-Limiter settings that are booleans; every other RATELIMIT_* passes through as text.
_RATELIMIT_BOOLEANS = {
    "RATELIMIT_SWALLOW_ERRORS",
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED",
    "RATELIMIT_FAIL_ON_FIRST_BREACH",
}


def profile(name: str) -> SimpleNamespace:
    """The defaults of profile ``name``, one attribute per setting."""
    return SimpleNamespace(**{s.name: s.value(name) for s in SETTINGS})


PROFILES: dict[str, SimpleNamespace] = {
    name: profile(name) for name in ("development", "testing", "production")
}


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the settings of the profile named by OTPAUTH_ENV, overlaid with the environment."""
    environ = os.environ if environ is None else environ
    profile_name = environ.get("OTPAUTH_ENV", "development").strip().lower() or "development"
    if profile_name not in PROFILES:
        raise ConfigError(f"OTPAUTH_ENV={profile_name!r} must be one of: {', '.join(PROFILES)}")
    settings = vars(profile(profile_name))
    for name, parse in PARSERS.items():
        raw = environ.get(name)
        if raw is not None and raw.strip() != "":
            settings[name] = parse(name, raw)
    for name, raw in environ.items():
        if name.startswith("RATELIMIT_") and name not in PARSERS:
            settings[name] = boolean(name, raw) if name in _RATELIMIT_BOOLEANS else raw
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
    if settings.get("OAUTH2_TOKEN_EXPIRES_IN") is None:  # Authlib's, per grant
        lifetime = settings["OIDC_ACCESS_TOKEN_SECONDS"]
        settings["OAUTH2_TOKEN_EXPIRES_IN"] = {
            "authorization_code": lifetime,
            "refresh_token": lifetime,
        }
    settings["BABEL_DEFAULT_LOCALE"] = settings["LANGUAGES"][0]
    settings["BABEL_DEFAULT_TIMEZONE"] = settings["DISPLAY_TIMEZONE"]
    if "whatsapp" in settings["DELIVERY_PHONE_ORDER"] and settings["WHATSAPP_BACKEND"] == "off":
        raise ConfigError("DELIVERY_PHONE_ORDER names whatsapp but WHATSAPP_BACKEND is off")
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
    _webauthn(settings)


def _webauthn(settings: dict[str, Any]) -> None:
    """The passkeys' RP ID and origins from PUBLIC_URL; off when the host is an IP address
    (browsers refuse one as RP ID)."""
    public = urlsplit(settings["PUBLIC_URL"])
    settings["WEBAUTHN_RP_ID"] = (settings.get("WEBAUTHN_RP_ID") or public.hostname or "").lower()
    origins = settings.get("WEBAUTHN_ORIGINS") or (f"{public.scheme}://{public.netloc}",)
    for origin in origins:
        parts = urlsplit(origin)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path not in ("", "/")
        ):
            raise ConfigError(
                f"WEBAUTHN_ORIGINS: {origin!r} must be an origin such as https://host"
            )
    settings["WEBAUTHN_ORIGINS"] = tuple(o.rstrip("/") for o in origins)
    settings["PASSKEYS_ENABLED"] = not _is_ip(settings["WEBAUTHN_RP_ID"])


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


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
    for name in ("EMAIL_BACKEND", "SMS_BACKEND", "WHATSAPP_BACKEND"):
        if settings.get(name) == "console":
            raise ConfigError(
                f"{name}=console is refused in production: codes must never be printed"
            )
    if settings.get("EMAIL_BACKEND") == "smtp":
        for name in ("MAIL_SERVER", "MAIL_DEFAULT_SENDER"):
            if not (settings.get(name) or "").strip():
                raise ConfigError(
                    f"{name} is required in production with EMAIL_BACKEND=smtp "
                    '(see the README\'s "E-mail and SMS providers")'
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
    passkeys = (
        [
            f"passkeys are off: the relying party {settings['WEBAUTHN_RP_ID']!r} is an IP address, "
            "which browsers refuse (set PUBLIC_URL or WEBAUTHN_RP_ID to a host name)"
        ]
        if settings.get("PASSKEYS_ENABLED") is False
        else []
    )
    if settings.get("ENV_NAME") == "production":
        return passkeys
    return passkeys + [
        f"{name} points at a non-local server but OTPAUTH_ENV is {settings.get('ENV_NAME')!r}: "
        "set OTPAUTH_ENV=production (and its SECRET_KEY) for real data"
        for name in ("DATABASE_URL", "REDIS_URL", "QUEUE_REDIS_URL")
        if settings.get(name)
        and not _local_url(settings[name])
        and (name != "QUEUE_REDIS_URL" or settings[name] != settings.get("REDIS_URL"))
    ]


# prometheus-client reads PROMETHEUS_MULTIPROC_DIR when it is imported: chosen before that.
METRICS_DIR, METRICS_DIR_DEFAULTED = prometheus_multiproc_dir()
