"""A payments page that signs customers in through otpauth (Authlib's Flask client).

A *public* client: no secret, PKCE with S256, a refresh token (scope offline_access).
Run it against a local otpauth:

    OTPAUTH_ISSUER=http://localhost:5000 PORTAL_CLIENT_ID=... \\
        flask --app examples/flask_portal/portal.py run --port 8001

after ``flask --app wsgi oidc clients create --name Payments --public --first-party
--redirect-uri http://localhost:8001/callback``.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, session, url_for


def create_portal(issuer: str, client_id: str, **flask_config: Any) -> Flask:
    """The portal app, signing in at ``issuer`` as the public client ``client_id``."""
    app = Flask(__name__)
    app.secret_key = secrets.token_hex(32)
    app.config.update(flask_config)
    oauth = OAuth(app)
    oauth.register(
        "otpauth",
        client_id=client_id,
        server_metadata_url=issuer + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": "openid profile email offline_access",
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "none",
        },
    )

    @app.route("/")
    def home() -> Any:
        user = session.get("user")
        if not user:
            return '<a href="/login">Sign in</a>'
        return f"<p>Hello {user['name']} ({user['customer_type']})</p>"

    @app.route("/login")
    def login() -> Any:
        return oauth.otpauth.authorize_redirect(url_for("callback", _external=True))

    @app.route("/callback")
    def callback() -> Any:
        token = oauth.otpauth.authorize_access_token()  # checks the ID token (JWKS, nonce)
        session["user"] = dict(token["userinfo"])
        session["refresh_token"] = token.get("refresh_token")
        return redirect(url_for("home"))

    @app.route("/refresh", methods=["POST"])
    def refresh() -> Any:
        """Trade the refresh token for new tokens (the old one is spent by otpauth)."""
        try:
            token = oauth.otpauth.fetch_access_token(
                grant_type="refresh_token", refresh_token=session.get("refresh_token", "")
            )
        except OAuthError as error:
            session.clear()  # reuse detected or session over: sign in again
            return {"error": error.error}, 401
        session["refresh_token"] = token["refresh_token"]
        profile = oauth.otpauth.userinfo(token=token)
        return {"name": profile["name"], "access_token_expires_in": token["expires_in"]}

    return app


def app_from_environment() -> Flask:
    """The portal configured from OTPAUTH_ISSUER and PORTAL_CLIENT_ID."""
    return create_portal(os.environ["OTPAUTH_ISSUER"], os.environ["PORTAL_CLIENT_ID"])


if os.environ.get("PORTAL_CLIENT_ID"):
    app = app_from_environment()
