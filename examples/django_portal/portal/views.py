"""The portal's pages: a greeting, the sign-in callback, back-channel logout."""

from __future__ import annotations

import jwt
from django.contrib.sessions.backends.cache import SessionStore
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView

from .auth import read_logout_token


def home(request: HttpRequest) -> HttpResponse:
    """Who is signed in, with a sign-out button; or a sign-in link."""
    if not request.user.is_authenticated:
        return HttpResponse('<h1>Billing portal</h1><a href="/oidc/authenticate/">Sign in</a>')
    profile = request.session.get("profile", {})
    return HttpResponse(
        f"<h1>Billing portal</h1><p id='who'>Hello {escape(profile.get('name'))} "
        f"({escape(profile.get('customer_type'))})</p>"
        f"<form method='post' action='/oidc/logout/'>"
        f"<input type='hidden' name='csrfmiddlewaretoken' value='{get_token(request)}'>"
        f"<button type='submit'>Sign out</button></form>"
    )


class Callback(OIDCAuthenticationCallbackView):
    """After sign-in, remember which Django session belongs to the otpauth session."""

    def login_success(self) -> HttpResponse:
        response = super().login_success()
        sid = self.request.session.get("otpauth_sid")
        if sid:
            cache.set(f"otpauth-sid:{sid}", self.request.session.session_key, 86400)
        return response


@csrf_exempt
@require_POST
def backchannel_logout(request: HttpRequest) -> HttpResponse:
    """otpauth says a session ended: end the Django session that came from it."""
    try:
        claims = read_logout_token(request.POST.get("logout_token", ""))
    except jwt.PyJWTError:
        return HttpResponse("invalid logout token", status=400)
    session_key = cache.get(f"otpauth-sid:{claims['sid']}")
    if session_key:
        SessionStore(session_key=session_key).delete()
        cache.delete(f"otpauth-sid:{claims['sid']}")
    return HttpResponse("", status=200, headers={"Cache-Control": "no-store"})
