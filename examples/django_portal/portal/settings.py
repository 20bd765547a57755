"""A small Django billing portal that signs customers in through otpauth.

mozilla-django-oidc does the OpenID Connect client work. Set OTPAUTH_ISSUER (otpauth's
PUBLIC_URL), PORTAL_CLIENT_ID and PORTAL_CLIENT_SECRET (from
``flask --app wsgi oidc clients create``), and PORTAL_URL (where this portal runs).
"""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("PORTAL_SECRET_KEY") or secrets.token_urlsafe(40)
DEBUG = os.environ.get("PORTAL_DEBUG", "") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "mozilla_django_oidc",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "portal.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("PORTAL_DB", str(BASE_DIR / "portal.sqlite3")),
    }
}
# Sessions live on the server, so otpauth's back-channel logout can end one.
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
USE_TZ = True

# --- Sign-in through otpauth (copy this block) -------------------------------------
OTPAUTH_ISSUER = os.environ.get("OTPAUTH_ISSUER", "http://localhost:5000")
PORTAL_URL = os.environ.get("PORTAL_URL", "http://localhost:8000")
AUTHENTICATION_BACKENDS = ["portal.auth.OtpauthBackend"]
OIDC_RP_CLIENT_ID = os.environ.get("PORTAL_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("PORTAL_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_OP_AUTHORIZATION_ENDPOINT = OTPAUTH_ISSUER + "/oauth/authorize"
OIDC_OP_TOKEN_ENDPOINT = OTPAUTH_ISSUER + "/oauth/token"
OIDC_OP_USER_ENDPOINT = OTPAUTH_ISSUER + "/oauth/userinfo"
OIDC_OP_JWKS_ENDPOINT = OTPAUTH_ISSUER + "/oauth/jwks"
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of RP-initiated logout
OIDC_OP_LOGOUT_URL_METHOD = "portal.auth.provider_logout_url"
OIDC_CALLBACK_CLASS = "portal.views.Callback"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# ------------------------------------------------------------------------------------
