"""Request, verify, resend and logout: each view validates, calls the service, answers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import redis
from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from ...delivery.fallback import Moved
from ...delivery.policy import UNROUTABLE, unavailable_message
from ...platform import ip_limits
from ...platform.catalog import gettext as _
from ...platform.i18n import wait_in_words
from ...signin import audit
from ...signin.challenge import challenges
from ...signin.channels import AUTO, CHANNELS, mask
from ...signin.otp import otp_store
from ...signin.otp.store import IssueResult, VerifyResult
from ...signin.sessions import end_session, start_session
from . import service
from .forms import RequestForm, VerifyForm, verify_form

bp = Blueprint("auth", __name__, url_prefix="/otp")
PENDING = "otp"  # session key: channel, masked contact, tag, next (expiry is Redis's TTL)


def _limit(name: str) -> Callable[[Callable], Callable]:
    """The per-IP limit ``name`` on the view's POSTs (``ip_limits.per_ip``)."""
    return ip_limits.per_ip(name)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if not target.isprintable():  # CR/LF would break the Location header; tabs fool browsers
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def refusal(result: IssueResult) -> tuple[str, dict[str, str]]:
    """The message and headers of a 429 for a send refused by a per-contact limit.

    The same for every contact, customer or not. The wait is said in words (seconds,
    minutes or hours), so the page is clear without JavaScript.
    """
    wait = max(result.retry_after, 1)
    if result.status == "cooldown":
        message = _(
            "Please wait %(wait)s before asking for another code.", wait=wait_in_words(wait)
        )
    else:
        message = _("Too many requests. Please try again in %(wait)s.", wait=wait_in_words(wait))
    return message, {"Retry-After": str(wait)}


def wrong_code_message(result: VerifyResult) -> str:
    """What the verify page says about a code that did not work (the contract's words)."""
    if result.status == "invalid":
        return ngettext(
            "Invalid OTP. %(num)d attempt remaining. Check the code and type it again.",
            "Invalid OTP. %(num)d attempts remaining. Check the code and type it again.",
            result.attempts_left,
        )
    if result.status == "expired":
        return _("OTP has expired. This code is too old; please ask for a new code.")
    return _("Too many attempts. This code no longer works; please ask for a new code.")


def check_failed() -> str:
    """The answer to a form sent without a valid proof of work (the contract's words)."""
    return _("Please complete the check below, then send the form again.")


def _challenge_passed(channel: str = "", prefix: str | None = None) -> bool:
    """No proof of work required now, or a valid, unused one came with the form.

    Required while the site is under attack, or for an SMS to a number prefix asked for
    too often this hour (counted here, for everyone: see ``service.needs_proof``).
    """
    checker = challenges()
    required = service.needs_proof(channel, prefix) or checker.required()
    return not required or checker.redeem(request.form.get("altcha"))


def _remember_pending(
    channel: str,
    contact_masked: str,
    issued: service.Issued,
    next_url: str | None,
    prefix: str | None = None,
) -> None:
    session[PENDING] = {
        "channel": channel,
        "masked": contact_masked,
        "tag": issued.tag,
        "next": next_url,
        "prefix": prefix,  # the SMS number prefix, counted on resends too
        # When a WhatsApp code falls back to SMS by itself (the page says so from then on:
        # the clock alone, the same for every contact); whether the customer asked for it.
        "fallback_at": issued.fallback_at,
        "asked": False,
    }


def blocked_page(issued: service.Issued, channel: str) -> tuple[str, int]:
    """The message and status of a send refused for everyone (400 or 503)."""
    if issued.blocked is service.Blocked.UNROUTABLE:
        return str(UNROUTABLE), 400
    return unavailable_message(channel), 503


@bp.route("/request/", methods=["GET", "POST"])
@_limit("RATELIMIT_OTP_REQUEST")
def request_code() -> Any:
    """Ask for a code by e-mail or SMS."""
    form = RequestForm()
    if form.validate_on_submit():
        channel, contact = form.resolved_channel, form.normalized
        if form.channel.data == AUTO:
            channel = service.auto_channel(channel)  # DELIVERY_PHONE_ORDER for a phone
        if not _challenge_passed(channel, service.sms_prefix(channel, contact)):
            # Before any lookup: the same answer for every contact, and nothing is sent.
            audit.record("challenge_failed")
            page = render_template(
                "otp/request.html", form=form, error=check_failed(), challenge_required=True
            )
            return page, 400
        issued = service.request_code(channel, contact)
        if issued.result is None:
            error, status = blocked_page(issued, channel)
            return render_template("otp/request.html", form=form, error=error), status
        if not issued.result.issued:
            message, headers = refusal(issued.result)
            return render_template("otp/request.html", form=form, error=message), 429, headers
        _remember_pending(
            channel,
            mask(channel, contact),
            issued,
            safe_next(request.values.get("next")),
            service.sms_prefix(channel, contact),
        )
        return redirect(url_for(".verify"))
    page = render_template("otp/request.html", form=form, show_sign_out=True)
    return page, 400 if form.errors else 200


def _verify_page(
    form: VerifyForm, pending: dict, status: int = 200, headers: dict | None = None, **context: Any
) -> Any:
    """The verify page; ``context`` may carry ``live`` when the caller already knows it."""
    if "live" not in context:
        context["live"], context["resend_in"] = otp_store().pending(pending["tag"])
    fallback_at = pending.get("fallback_at") or 0
    context["fell_back"] = pending.get("asked") or (fallback_at and time.time() >= fallback_at)
    page = render_template("otp/verify.html", form=form, pending=pending, **context)
    return page, status, headers or {}


@bp.route("/verify/", methods=["GET", "POST"])
@_limit("RATELIMIT_OTP_VERIFY")
def verify() -> Any:
    """Type the code; the right one logs the customer in."""
    pending = session.get(PENDING)
    if not pending:
        return redirect(url_for(".request_code"))
    form = verify_form(pending["channel"])
    if not form.validate_on_submit():
        return _verify_page(form, pending, 400 if form.errors else 200)
    result, customer = service.verify_code(pending["channel"], pending["tag"], form.code.data)
    if customer is None:
        # The script's answer already says what the page shows: no second round trip.
        return _verify_page(
            form,
            pending,
            400,
            code_error=wrong_code_message(result),
            live=result.live,
            resend_in=result.resend_in,
        )
    next_url = (
        safe_next(request.values.get("next"))
        or safe_next(pending.get("next"))
        or url_for("dashboard.index")
    )
    # A new server-side session; nothing from before survives.
    start_session(customer, method=pending["channel"])
    session["login_channel"] = pending["channel"]
    return redirect(next_url)


@bp.route("/resend/", methods=["POST"])
@_limit("RATELIMIT_OTP_RESEND")
def resend() -> Any:
    """Send a fresh code for the pending request; the previous one stops working."""
    pending = session.get(PENDING)
    if not pending:
        return redirect(url_for(".request_code"))
    # A resend is a send: it costs a proof too.
    if not _challenge_passed(pending["channel"], pending.get("prefix")):
        audit.record("challenge_failed", channel=pending["channel"])
        form = VerifyForm(formdata=None)
        return _verify_page(form, pending, 400, error=check_failed(), challenge_required=True)
    issued = service.resend_code(pending["channel"], pending["tag"])
    if issued.result is None:
        error, status = blocked_page(issued, pending["channel"])
        return _verify_page(VerifyForm(formdata=None), pending, status, error=error)
    if issued.result.status == "gone":
        session.pop(PENDING, None)
        flash(_("Your sign-in request has expired. Please ask for a new code."), "error")
        return redirect(url_for(".request_code"))
    if not issued.result.issued:
        message, headers = refusal(issued.result)
        return _verify_page(VerifyForm(formdata=None), pending, 429, headers, error=message)
    session[PENDING] = {**pending, "fallback_at": issued.fallback_at, "asked": False}
    flash(_("A new code has been sent. The previous code no longer works."), "info")
    return redirect(url_for(".verify"))


@bp.route("/fallback/", methods=["POST"])
@_limit("RATELIMIT_OTP_RESEND")
def fallback() -> Any:
    """Send the pending request's code by text message instead of WhatsApp, at once.

    Once per request, and the same answer for every contact: the store moves a stranger's
    request as it moves a customer's (see ``delivery.fallback``).
    """
    pending = session.get(PENDING)
    if not pending or not CHANNELS[pending["channel"]].fallback:
        return redirect(url_for(".request_code"))
    moved = service.fall_back_now(pending["channel"], pending["tag"])
    if moved is Moved.UNAVAILABLE:
        error = unavailable_message(CHANNELS[pending["channel"]].fallback)
        return _verify_page(VerifyForm(formdata=None), pending, 503, error=error)
    session[PENDING] = {**pending, "asked": True}
    flash(_("We have sent a new code by text message. The WhatsApp code no longer works."), "info")
    return redirect(url_for(".verify"))


@bp.route("/logout/", methods=["POST"])
def logout() -> Response:
    """Log out: the session ends on the server, so no copy of the cookie opens it again."""
    try:
        live = current_user.is_authenticated  # the session lookup: one Redis round trip
    except redis.RedisError:
        session.clear()  # Redis is down (503): the browser forgets the session even so
        raise
    if live:
        audit.record("logout", customer_id=current_user.id, channel=session.get("login_channel"))
    end_session()
    flash(_("You have been signed out."), "info")
    return redirect(url_for(".request_code"))
