"""The OpenID Provider's pages and endpoints (``/.well-known``, ``/oauth/...``).

Authlib validates and answers; these views add what the contract asks on top: the
``redirect_uri`` is checked before anything else (a wrong one gets our 400 page, never a
redirect), the sign-in pages are the login, first-party clients skip consent, and
whatever Authlib raises becomes an RFC 6749 error, never a 500.
"""

from __future__ import annotations

import time
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from ...oidc import clients, keys
from ...oidc.claims import Grantee
from ...oidc.models import OidcClient
from ...oidc.server import authorization_server
from ...platform import ip_limits
from ...platform.catalog import gettext as _
from ...signin import audit
from ...signin.sessions import current_record
from .. import origin_check
from ..errors import render_error

bp = Blueprint("oidc", __name__)


def _limit(name: str) -> Any:
    """The per-IP limit ``name`` on every request of the view (authorize is a GET)."""
    return ip_limits.every_request(name)


def no_500(page: bool) -> Any:
    """Authlib 1.9.6 raises ValueError building an error whose description would hold a
    NUL, a quote or non-ASCII (from a ``redirect_uri`` or other parameter): a 400, as our
    page (``page``) or as an RFC 6749 error body."""

    def decorate(view: Any) -> Any:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except ValueError:
                if page:
                    return render_error(400)
                return jsonify(error="invalid_request", error_description="malformed"), 400

        return guarded

    return decorate


@bp.route("/.well-known/openid-configuration")
def discovery() -> Any:
    """The discovery document (OpenID Connect Discovery 1.0)."""
    issuer = current_app.config["OIDC_ISSUER"]
    return jsonify(
        issuer=issuer,
        authorization_endpoint=issuer + "/oauth/authorize",
        token_endpoint=issuer + "/oauth/token",
        userinfo_endpoint=issuer + "/oauth/userinfo",
        jwks_uri=issuer + "/oauth/jwks",
        revocation_endpoint=issuer + "/oauth/revoke",
        end_session_endpoint=issuer + "/oauth/logout",
        response_types_supported=["code"],
        response_modes_supported=["query"],
        grant_types_supported=["authorization_code", "refresh_token"],
        subject_types_supported=["public"],
        id_token_signing_alg_values_supported=[current_app.config["OIDC_SIGNING_ALG"]],
        scopes_supported=list(clients.SCOPES),
        claims_supported=[
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "amr",
            "acr",
            "sid",
            "name",
            "customer_type",
            "email",
            "email_verified",
            "phone_number",
            "phone_number_verified",
        ],  # fmt: skip
        token_endpoint_auth_methods_supported=[
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],  # fmt: skip
        revocation_endpoint_auth_methods_supported=[
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],  # fmt: skip
        code_challenge_methods_supported=["S256"],
        backchannel_logout_supported=True,
        backchannel_logout_session_supported=True,
        claims_parameter_supported=False,
        request_parameter_supported=False,
    )


@bp.route("/oauth/jwks")
def jwks() -> Any:
    """The public signing keys."""
    response = jsonify(keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _checked_client() -> OidcClient | None:
    """The client, if ``client_id`` names one and ``redirect_uri`` is one of its own."""
    client = clients.find(request.args.get("client_id"))
    uris = request.args.getlist("redirect_uri")
    if client is None or len(uris) != 1 or uris[0] not in client.redirect_list:
        return None
    return client


def _grantee() -> Grantee | None:
    """The signed-in customer and their session, or None."""
    if not current_user.is_authenticated or current_user.kind != "customer":
        return None
    record = current_record()
    if record is None:
        return None
    return Grantee(current_user, record.sid, int(record.created_at), record.method or "")


def _needs_sign_in(grant: Any, grantee: Grantee | None) -> bool:
    if grantee is None or "login" in (request.args.get("prompt") or "").split():
        return True
    max_age = request.args.get("max_age", "")
    return max_age.isdigit() and time.time() - grantee.auth_time > int(max_age)


def _resume_path() -> str:
    """This request again, without ``prompt=login`` (met by the sign-in it leads to)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "prompt"]
    prompt = [p for p in (request.args.get("prompt") or "").split() if p != "login"]
    if prompt:
        args.append(("prompt", " ".join(prompt)))
    return url_for(".authorize") + "?" + urlencode(args)


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@_limit("RATELIMIT_OAUTH_AUTHORIZE")
@no_500(page=True)
def authorize() -> Any:
    """The authorization endpoint: code flow, sign-in by our pages, consent if third-party."""
    client = _checked_client()
    if client is None:
        message = _("This sign-in link is not valid: the application is not registered here.")
        return render_error(400, message)
    server = authorization_server()
    grantee = _grantee()
    try:
        grant = server.get_consent_grant(end_user=grantee)
    except OAuth2Error as error:
        return server.handle_error_response(None, error)
    if _needs_sign_in(grant, grantee):
        return redirect(url_for("auth.request_code", next=_resume_path()))
    if request.method == "GET" and not client.first_party:
        scopes = (grant.request.scope or "").split()
        return render_template("oidc/consent.html", client=client, scopes=scopes)
    allowed = request.method == "GET" or request.form.get("decision") == "allow"
    if allowed:
        audit.record("oidc_authorized", customer_id=grantee.customer.id, reason=client.client_id)
    return server.create_authorization_response(
        grant=grant, grant_user=grantee if allowed else None
    )


@bp.route("/oauth/token", methods=["POST"])
@origin_check.exempt
@_limit("RATELIMIT_OAUTH_TOKEN")
@no_500(page=False)
def token() -> Any:
    """The token endpoint."""
    return authorization_server().create_token_response()


@bp.route("/oauth/revoke", methods=["POST"])
@origin_check.exempt
@_limit("RATELIMIT_OAUTH_TOKEN")
@no_500(page=False)
def revoke() -> Any:
    """Token revocation (RFC 7009)."""
    return authorization_server().create_endpoint_response("revocation")


@bp.route("/oauth/userinfo", methods=["GET", "POST"])
@origin_check.exempt
@no_500(page=False)
def userinfo() -> Any:
    """Claims for the access token's scopes."""
    try:
        return authorization_server().create_endpoint_response("userinfo")
    except HTTPException as error:  # Authlib's 401/403 with its WWW-Authenticate header
        return error.get_response()
