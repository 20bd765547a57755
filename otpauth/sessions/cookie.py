"""Flask's signed-cookie session, with its signing serializer built once per key.

Flask builds a new serializer for the cookie at every request's open and save, and
building one makes a trial dump to learn whether the serializer writes text. The
serializer holds nothing but its keys and settings, so one per key set serves every
request and thread alike. The cookie, its signature and its contents are Flask's own.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class CookieSessions(SecureCookieSessionInterface):
    """``SecureCookieSessionInterface`` that reuses its serializer while the keys are the same."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        found = self._serializers.get(keys)
        if found is None:
            found = super().get_signing_serializer(app)
            if found is not None:
                self._serializers[keys] = found
        return found
