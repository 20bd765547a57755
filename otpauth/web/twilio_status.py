"""``POST /hooks/twilio/status``: Twilio's report of what became of an SMS or a WhatsApp
message.

Checked with Twilio's own ``RequestValidator`` against the callback URL we sent with the
message (``status_callback_url``, its query included) and TWILIO_AUTH_TOKEN; unsigned or
badly signed: 403. A final status becomes ``otp_delivered`` or ``otp_undelivered``
(reason: Twilio's error code, else the status); the interim ones (queued, sent, ...) are
acknowledged and dropped. A signature carries no time, so a captured callback could be sent
again: each final status of a ``MessageSid`` is audited once (``Gates.first_report``), a
replay is acknowledged only.

A WhatsApp report names the code it is about (``?d=<code id>``): ``delivered`` (or
``read``) marks it, so its timer does not fall back; ``failed``/``undelivered`` brings the
pending request a fresh code by SMS at once (``delivery.fallback``).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort, current_app, request
from twilio.request_validator import RequestValidator

from ..delivery.fallback import fall_back
from ..delivery.messages import status_callback_url
from ..delivery.reports import record_report
from ..delivery.service import gates
from ..platform.extensions import limiter
from ..signin import channels
from ..signin.otp import hasher, otp_store
from . import origin_check

log = logging.getLogger(__name__)
bp = Blueprint("hooks", __name__, url_prefix="/hooks")
DELIVERED = "delivered"
UNDELIVERED = {"undelivered", "failed"}
SEEN = "read"  # WhatsApp: read implies delivered


def _signed() -> bool:
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    url = status_callback_url()
    if not token or not signature or url is None:
        return False
    if request.query_string:  # Twilio signs the URL it was given, query included
        url = f"{url}?{request.query_string.decode('ascii', 'replace')}"
    return RequestValidator(token).validate(url, request.form.to_dict(), signature)


@bp.route("/twilio/status", methods=["POST"])
@limiter.exempt
def twilio_status() -> tuple[str, int]:
    """Audit a final delivery status; 403 unless Twilio signed the request."""
    if not _signed():
        log.info("hooks: twilio status callback refused: missing or bad signature")
        abort(403)
    status = request.form.get("MessageStatus", "")
    channel, number = channels.by_address(request.form.get("To", ""))
    code_id = request.args.get("d", "")[:16]
    tag = hasher().tag(channel.name, number) if number else None
    about = tag if channel.fallback and code_id else None  # a code that may fall back
    if about and status in (DELIVERED, SEEN):
        otp_store().mark_delivered(about, code_id)
    final = status == DELIVERED or status in UNDELIVERED
    if final and gates().first_report(request.form.get("MessageSid", ""), status):
        reason = None if status == DELIVERED else (request.form.get("ErrorCode") or status)[:32]
        record_report(channel.name, number, tag, reason, code_id or None)
        if about and status in UNDELIVERED:
            fall_back(channel.name, about, status, code_id)
    return "", 204


def init_app(app: Flask) -> None:
    """Register the hook, exempt from CSRF (Twilio signs it instead)."""
    origin_check.exempt(bp)
    app.register_blueprint(bp)
