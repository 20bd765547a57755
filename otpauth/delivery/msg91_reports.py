"""MSG91's delivery reports, as its webhook posts them (read, never trusted blindly).

Version 2 (form-encoded): one field ``data``, a JSON array of requests, each with its
``requestId`` and a ``report`` list of ``{number, status, desc, date}``. Version 3 (JSON):
one object with ``requestId``, ``number``, ``status``. Status 1 is delivered; 2 failed,
9 NDNC, 16 and 25 rejected, 17 blocked number are final failures; others are interim.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

DELIVERED = "1"
FAILED = {"2", "9", "16", "17", "25"}
MAX_REPORTS = 100  # one webhook call; more is not MSG91's


@dataclass(frozen=True)
class Report:
    """One number's report of one MSG91 request."""

    request_id: str
    number: str  # country code and number, no "+"
    status: str

    @property
    def delivered(self) -> bool:
        return self.status == DELIVERED

    @property
    def final(self) -> bool:
        return self.delivered or self.status in FAILED


def _text(value: object, limit: int) -> str:
    return str(value)[:limit] if isinstance(value, str | int) else ""


def _entry(request: dict) -> list[Report]:
    request_id = _text(request.get("requestId"), 64)
    rows = request.get("report")
    if not isinstance(rows, list):
        rows = [request]  # version 3: the request is its own report
    found = []
    for row in rows:
        if isinstance(row, dict):
            number = _text(row.get("number"), 20)
            found.append(
                Report(request_id, number if number.isdigit() else "", _text(row.get("status"), 8))
            )
    return found


def parse_reports(raw: str) -> list[Report] | None:
    """The reports in a webhook body; None when it is not MSG91's shape."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    requests = data if isinstance(data, list) else [data]
    if not requests or len(requests) > MAX_REPORTS:
        return None
    if not all(isinstance(r, dict) and r.get("requestId") for r in requests):
        return None
    return [report for r in requests for report in _entry(r)]
