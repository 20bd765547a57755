"""``POST /hooks/msg91/status``: MSG91's delivery reports (its webhook, version 2 or 3).

MSG91 signs nothing: the webhook's URL carries the shared secret MSG91_WEBHOOK_TOKEN
(``?token=…``), compared in constant time; missing or wrong: 403. A body that is not
MSG91's shape: 400. Status 1 becomes ``otp_delivered``; the final failures (2 failed,
9 NDNC, 16/25 rejected, 17 blocked) ``otp_undelivered`` with reason ``msg91:<status>``;
interim statuses are acknowledged. Each (request id, status) is audited once.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Flask, abort, current_app, request

from ..delivery.msg91_reports import Report, parse_reports
from ..delivery.reports import record_report
from ..delivery.service import gates
from ..platform.extensions import limiter
from ..signin import channels
from ..signin.otp import hasher
from . import origin_check

log = logging.getLogger(__name__)
bp = Blueprint("msg91_hooks", __name__, url_prefix="/hooks")


@bp.route("/msg91/status", methods=["POST"])
@limiter.exempt
def msg91_status() -> tuple[str, int]:
    """Audit MSG91's delivery reports; 403 without the shared secret, 400 if unreadable."""
    secret = current_app.config.get("MSG91_WEBHOOK_TOKEN") or ""
    given = request.args.get("token", "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        log.info("hooks: msg91 report refused: missing or wrong token")
        abort(403)
    reports = parse_reports(request.form.get("data") or request.get_data(as_text=True))
    if reports is None:
        log.info("hooks: msg91 report refused: not MSG91's shape")
        abort(400)
    for report in reports:
        _audit(report)
    return "", 204


def _audit(report: Report) -> None:
    if not report.final or not gates().first_report(report.request_id, report.status):
        return
    sms = channels.detect(report.number or "0")  # MSG91 carries SMS only
    number = "+" + report.number if report.number else ""
    tag = hasher().tag(sms, number) if number else None
    record_report(sms, number, tag, None if report.delivered else f"msg91:{report.status}", None)


def init_app(app: Flask) -> None:
    """Register the hook, exempt from CSRF (the shared secret stands for a signature)."""
    origin_check.exempt(bp)
    app.register_blueprint(bp)
