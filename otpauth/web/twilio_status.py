"""``POST /hooks/twilio/status``: Twilio's report of what became of an SMS.

Checked with Twilio's own ``RequestValidator`` against the callback URL we sent with the
message (``status_callback_url``) and TWILIO_AUTH_TOKEN; unsigned or badly signed: 403.
A final status becomes ``otp_delivered`` or ``otp_undelivered`` (reason: Twilio's error
code, else the status); the interim ones (queued, sent, ...) are acknowledged and dropped.
A signature carries no time, so a captured callback could be sent again: each final status
of a ``MessageSid`` is audited once (``Gates.first_report``), a replay is acknowledged only.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort, current_app, request
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from ..delivery.messages import status_callback_url
from ..delivery.service import gates
from ..platform.extensions import csrf, db, limiter
from ..signin import audit
from ..signin.models import Customer
from ..signin.otp import hasher

log = logging.getLogger(__name__)
bp = Blueprint("hooks", __name__, url_prefix="/hooks")
UNDELIVERED = {"undelivered", "failed"}


def _signed() -> bool:
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    url = status_callback_url()
    if not token or not signature or url is None:
        return False
    return RequestValidator(token).validate(url, request.form.to_dict(), signature)


@bp.route("/twilio/status", methods=["POST"])
@limiter.exempt
def twilio_status() -> tuple[str, int]:
    """Audit a final delivery status; 403 unless Twilio signed the request."""
    if not _signed():
        log.info("hooks: twilio status callback refused: missing or bad signature")
        abort(403)
    status = request.form.get("MessageStatus", "")
    number = request.form.get("To", "")
    final = status == "delivered" or status in UNDELIVERED
    if final and gates().first_report(request.form.get("MessageSid", ""), status):
        customer_id = db.session.scalar(select(Customer.id).where(Customer.phone == number))
        event = "otp_delivered" if status == "delivered" else "otp_undelivered"
        reason = None if status == "delivered" else (request.form.get("ErrorCode") or status)[:32]
        tag = hasher().tag("sms", number) if number else None
        audit.record(event, customer_id=customer_id, channel="sms", contact_hash=tag, reason=reason)
    return "", 204


def init_app(app: Flask) -> None:
    """Register the hook, exempt from CSRF (Twilio signs it instead)."""
    csrf.exempt(bp)
    app.register_blueprint(bp)
