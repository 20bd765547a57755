"""Every setting, once: its name, its default (and any profile's own), its parser, its meaning.

``config.py`` builds the profiles and reads the environment from this table alone; the
README's settings tables are checked against it (tests/test_config.py). A row without a
parser is not read from the environment: a library's setting with our value, or a tuning
knob a deployment leaves alone (tests and benches set it through ``create_app``'s
overrides).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from config_parsers import (
    SUPPORTED_LANGUAGES,
    Parser,
    boolean,
    channel_order,
    choice,
    languages,
    per_language,
    price,
    region,
    regions,
    text,
    timezone,
    upper_choice,
    whole,
    words,
)

SERVICE_NAME = "Waste Billing"  # the default of SITE_NAME
DAY = 86400
LIMIT = "per-IP limit (Flask-Limiter syntax) on"


@dataclass(frozen=True)
class Setting:
    """One setting: ``profiles`` holds the values of the profiles that differ."""

    name: str
    default: Any
    parse: Parser | None
    meaning: str
    profiles: dict[str, Any] = field(default_factory=dict)

    def value(self, profile: str) -> Any:
        """The default in ``profile`` (a fresh copy of a dict)."""
        found = self.profiles.get(profile, self.default)
        return dict(found) if isinstance(found, dict) else found


DEV, TEST, PROD = "development", "testing", "production"
S = Setting
SETTINGS: tuple[Setting, ...] = (
    # The essentials.
    S("ENV_NAME", "base", None, "the profile's name", {DEV: DEV, TEST: TEST, PROD: PROD}),
    S("TESTING", False, None, "Flask's testing flag", {TEST: True}),
    S("SECRET_KEY", None, text, "signs sessions and keys every hash; 16+ chars in production"),
    S("DATABASE_URL", None, text, "SQLAlchemy URL; unset: SQLite under instance/"),
    S("REDIS_URL", None, text, "the Redis server; unset: embedded fakeredis, one process"),
    # Codes.
    S("OTP_LENGTH", 6, whole(4, 10), "digits in a code"),
    S("OTP_TTL_SECONDS", 300, whole(1, DAY), "lifetime of a code"),
    S("OTP_MAX_ATTEMPTS", 5, whole(1, 100), "wrong guesses allowed per code"),
    S("OTP_RESEND_COOLDOWN_SECONDS", 60, whole(0, DAY), "least time between two sends"),
    S("OTP_MAX_REQUESTS", 5, whole(1, 1000), "sends per contact per window"),
    S("OTP_REQUEST_WINDOW_SECONDS", 3600, whole(1, 7 * DAY), "that window"),
    S("OTP_MAX_FAILURES_PER_DAY", 20, whole(1, 10000), "wrong guesses per contact per day"),
    # Sessions, the console's and the proof-of-work challenge.
    S("SESSION_LIFETIME_SECONDS", 28800, whole(60, 30 * DAY), "a session's longest life"),
    S("SESSION_IDLE_SECONDS", 1800, whole(1, 30 * DAY), "a customer session unused ends"),
    S("ADMIN_SESSION_IDLE_SECONDS", 900, whole(1, 30 * DAY), "a staff session unused ends"),
    S("ADMIN_SESSION_LIFETIME_SECONDS", 28800, whole(1, 30 * DAY), "a staff session's life"),
    S("CHALLENGE_MODE", "auto", choice("off", "auto", "always"), "when to ask proof of work"),
    S("CHALLENGE_THRESHOLD_PER_MINUTE", 300, whole(1, 10**7), "auto mode's trigger"),
    S("STAFF_PASSWORD_SLOTS", 2, whole(1, 64), "Argon2 hashes at once, across workers"),
    S("TOTP_ENCRYPTION_KEYS", (), words, "authenticator secrets' keys; (): from SECRET_KEY"),
    # Per-IP limits (Flask-Limiter; other RATELIMIT_* pass through to it).
    S("RATELIMIT_ENABLED", True, boolean, "per-IP limits on"),
    S("RATELIMIT_HEADERS_ENABLED", False, boolean, "X-RateLimit-* headers (2 round trips)"),
    S("RATELIMIT_KEY_PREFIX", "otpauth-rl", text, "Redis key prefix of the limits"),
    S("RATELIMIT_IPV6_PREFIX", 64, whole(8, 128), "IPv6 prefix counted as one client"),
    S("RATELIMIT_OTP_REQUEST", "10 per minute; 60 per hour", text, f"{LIMIT} /otp/request/"),
    S("RATELIMIT_OTP_VERIFY", "30 per minute; 300 per hour", text, f"{LIMIT} /otp/verify/"),
    S("RATELIMIT_OTP_RESEND", "5 per minute; 30 per hour", text, f"{LIMIT} /otp/resend/"),
    S("RATELIMIT_ADMIN_LOGIN", "10 per minute; 60 per hour", text, f"{LIMIT} staff sign-in"),
    S("RATELIMIT_OAUTH_TOKEN", "60 per minute; 600 per hour", text, f"{LIMIT} /oauth/token"),
    S("RATELIMIT_OAUTH_AUTHORIZE", "60 per minute; 600 per hour", text, f"{LIMIT} authorize"),
    # Delivery.
    S("EMAIL_BACKEND", "smtp", choice("console", "smtp"), "e-mail sender", {DEV: "console"}),
    S(
        "SMS_BACKEND",
        "twilio",
        choice("console", "twilio", "msg91"),
        "SMS sender",
        {DEV: "console"},
    ),
    S("WHATSAPP_BACKEND", "off", choice("off", "console", "twilio"), "WhatsApp sender; off"),
    # Production has no local default: SMTP without a server or sender is refused at start.
    S("MAIL_SERVER", "localhost", text, "SMTP server", {PROD: None}),
    S("MAIL_PORT", 25, whole(1, 65535), "SMTP port"),
    S("MAIL_USE_TLS", False, boolean, "STARTTLS"),
    S("MAIL_USE_SSL", False, boolean, "SMTP over TLS"),
    S("MAIL_USERNAME", None, text, "SMTP user"),
    S("MAIL_PASSWORD", None, text, "SMTP password"),
    S("MAIL_DEFAULT_SENDER", "no-reply@localhost", text, "From: address", {PROD: None}),
    S("TWILIO_ACCOUNT_SID", None, text, "Twilio account"),
    S("TWILIO_AUTH_TOKEN", None, text, "Twilio token (also checks its status hooks)"),
    S("TWILIO_FROM_NUMBER", None, text, "Twilio sender number or messaging service"),
    S("TWILIO_WHATSAPP_FROM", None, text, "the WhatsApp-enabled Twilio number"),
    S("TWILIO_WHATSAPP_CONTENT_SID", None, text, "approved authentication template (HX…)"),
    S("MSG91_AUTH_KEY", None, text, "MSG91 auth key"),
    S("MSG91_SENDER_ID", None, text, "MSG91's DLT-registered sender"),
    S("MSG91_DLT_TEMPLATE_ID", None, text, "DLT template id when the language has none"),
    S("MSG91_WEBHOOK_TOKEN", None, text, "shared secret of /hooks/msg91/status"),
    S("MSG91_BASE_URL", "https://control.msg91.com", text, "MSG91's API"),
    S("PHONE_DEFAULT_REGION", "IN", region, "region of numbers typed without a country code"),
    S("DELIVERY_MODE", "inline", choice("inline", "queue"), "send in-process or through RQ"),
    S("SMS_ALLOWED_REGIONS", None, regions, "regions SMS may go to; None: the default region"),
    S("SMS_MAX_PER_HOUR", 1000, whole(1, 10**9), "SMS in all per clock hour"),
    S("SMS_MAX_PER_PREFIX_PER_HOUR", 20, whole(1, 10**9), "SMS per number prefix per hour"),
    # India: WhatsApp first, SMS fallback, DLT, what it costs.
    S("DELIVERY_PHONE_ORDER", ("sms",), channel_order("sms", "whatsapp"), "auto for a phone"),
    S("WHATSAPP_FALLBACK_SECONDS", 30, whole(1, 3600), "undelivered this long: SMS instead"),
    S("WHATSAPP_MAX_PER_HOUR", 1000, whole(1, 10**9), "WhatsApp messages per clock hour"),
    S("WHATSAPP_MAX_PER_PREFIX_PER_HOUR", 20, whole(1, 10**9), "WhatsApp per prefix per hour"),
    S("SMS_DLT_TEMPLATE", {}, per_language, "registered DLT template(s), {#var#}"),
    S("SMS_DLT_TEMPLATE_ID", {}, per_language, "their DLT template id(s)"),
    S("SMS_UNIT_COST", Decimal("0.20"), price, "price of one SMS segment"),
    S("WHATSAPP_UNIT_COST", Decimal("0.12"), price, "price of one WhatsApp message"),
    S("COST_CURRENCY", "INR", text, "currency of the prices"),
    S("DELIVERY_BREAKER_FAILURES", 5, whole(1, 10**6), "failures in a row that open a breaker"),
    S("DELIVERY_BREAKER_SECONDS", 60, whole(1, DAY), "how long a breaker stays open"),
    S("QUEUE_REDIS_URL", None, text, "the job queue's Redis; None: REDIS_URL"),
    S("DELIVERY_RETRY_INTERVALS", (5, 15, 30, 60, 120), None, "the worker's retry waits (s)"),
    S("DELIVERY_JOB_TIMEOUT", 60, None, "seconds a queued job may run"),
    S("DELIVERY_SEND_DELAY", 0.25, None, "inline send starts 1-3x this after its request"),
    S("DELIVERY_STATE_CACHE_SECONDS", 1.0, None, "breakers/budget re-read", {TEST: 0.0}),
    S("DELIVERY_LOST_GRACE_SECONDS", 30, None, "a hand-off this late is audited lost"),
    S("DELIVERY_SWEEP_SECONDS", 15.0, None, "lost hand-offs looked for (0: never)", {TEST: 0.0}),
    # The site.
    S("PUBLIC_HOST", "localhost", text, "the site's host name, in messages"),
    S("PUBLIC_URL", None, text, "the site's URL; None: https://PUBLIC_HOST"),
    S("TRUSTED_PROXIES", 0, whole(0, 10), "reverse proxies that set X-Forwarded-For"),
    # Passkeys (WebAuthn) and re-authentication.
    S("WEBAUTHN_RP_ID", None, text, "passkeys' relying party id; None: PUBLIC_URL's host"),
    S("WEBAUTHN_ORIGINS", (), words, "origins passkeys are used on; (): PUBLIC_URL's"),
    S("PASSKEYS_ENABLED", True, None, "derived: off when the RP ID is an IP address"),
    S("REAUTH_SECONDS", 600, whole(0, DAY), "how recent a sign-in must be for a change"),
    S("METRICS_TOKEN", None, text, "bearer token of /metrics"),
    S("AUDIT_SPOOL_DIR", None, text, "audit spool; None: instance/audit-spool"),
    S("AUDIT_FLUSH_SECONDS", 1.0, None, "audit rows written every (0: each request)", {TEST: 0.0}),
    S("LANGUAGES", SUPPORTED_LANGUAGES, languages, "languages offered; the first is default"),
    S("SITE_NAME", SERVICE_NAME, text, "the service's name on pages and in messages"),
    S("SUPPORT_PHONE", None, text, "support number shown on the pages"),
    S("SUPPORT_HOURS", None, text, "support hours shown on the pages"),
    S("DISPLAY_TIMEZONE", "Asia/Kolkata", timezone, "time zone of times shown to people"),
    # The OpenID Provider.
    S("OIDC_ISSUER", None, text, "the issuer; None: PUBLIC_URL"),
    S("OIDC_ID_TOKEN_SECONDS", 300, whole(30, DAY), "ID token lifetime"),
    S("OIDC_ACCESS_TOKEN_SECONDS", 600, whole(30, DAY), "access token lifetime"),
    S("OIDC_REFRESH_TOKEN_SECONDS", 2592000, whole(0, 365 * DAY), "refresh token life; 0: none"),
    S("OIDC_SIGNING_ALG", "RS256", upper_choice("rs256", "es256"), "ID token signature"),
    S("OIDC_SWEEP_SECONDS", 30, None, "ended sessions looked for (0: never)", {TEST: 0}),
    S("OAUTH2_TOKEN_EXPIRES_IN", None, None, "Authlib's; None: OIDC_ACCESS_TOKEN_SECONDS"),
    # Flask and its extensions, with our values.
    S("PREFERRED_URL_SCHEME", "http", None, "Flask's scheme of external URLs", {PROD: "https"}),
    S("SESSION_COOKIE_NAME", "otpauth_session", None, "the session cookie's name"),
    S("SESSION_COOKIE_HTTPONLY", True, None, "no script reads the cookie"),
    S("SESSION_COOKIE_SAMESITE", "Lax", None, "the cookie's SameSite"),
    S("SESSION_COOKIE_SECURE", False, None, "HTTPS-only cookie", {PROD: True}),
    S("SESSION_REFRESH_EACH_REQUEST", False, None, "the cookie names a server session only"),
    S("WTF_CSRF_TIME_LIMIT", None, None, "a CSRF token lives as long as its session"),
    S("MAX_CONTENT_LENGTH", 64 * 1024, None, "larger requests answer 413"),
    S(
        "SQLALCHEMY_ENGINE_OPTIONS",
        {"pool_pre_ping": True, "hide_parameters": True},
        None,
        "engine options; no SQL parameters in errors (contacts)",
    ),
)
