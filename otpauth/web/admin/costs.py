"""The overview's delivery table: per metered channel and day, what was sent, what arrived,
what fell back, and what it cost.

One grouped, indexed query over the last ``DAYS`` days of ``auth_events`` (the same index
and day buckets as ``stats``): ``otp_sent`` (with its billed ``units``: SMS segments, one
per WhatsApp message), the providers' ``otp_delivered`` / ``otp_undelivered`` and the
customers' ``otp_fallback``. The cost is an estimate: units times the channel's unit price
(``SMS_UNIT_COST``, ``WHATSAPP_UNIT_COST``) in ``COST_CURRENCY``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, or_, select

from ...platform.extensions import db
from ...platform.timefmt import display_zone
from ...signin import channels
from ...signin.models import AuthEvent, utcnow
from .stats import _as_local, _bucket_column, _truncate

DAYS = 7
EVENTS = {
    "otp_sent": "sent",
    "otp_delivered": "delivered",
    "otp_undelivered": "undelivered",
    "otp_fallback": "fallbacks",
}


@dataclass(frozen=True)
class DayCost:
    """One channel's day."""

    day: datetime
    channel: str
    sent: int
    delivered: int
    undelivered: int
    fallbacks: int
    units: int
    cost: Decimal

    @property
    def delivery_rate(self) -> float | None:
        """Delivered of those the provider reported on (None: no report yet)."""
        reported = self.delivered + self.undelivered
        return self.delivered / reported if reported else None


def _grouped(start: datetime) -> dict[tuple[datetime, str, str], tuple[int, int]]:
    """(day, channel, what) -> (count, units) since ``start`` (local midnight)."""
    offset = int(start.utcoffset().total_seconds() // 60)
    day = _bucket_column("day", str(start.tzinfo), offset).label("day")
    query = (
        select(day, AuthEvent.channel, AuthEvent.event, func.count(), func.sum(AuthEvent.units))
        .where(
            AuthEvent.event.in_(EVENTS),
            AuthEvent.at >= start.astimezone(UTC),
            # A stranger's request falls back too (same clock), but nothing is sent to nobody.
            or_(AuthEvent.event != "otp_fallback", AuthEvent.customer_id.is_not(None)),
        )
        .group_by(day, AuthEvent.channel, AuthEvent.event)
    )
    found: dict[tuple[datetime, str, str], tuple[int, int]] = {}
    for when, channel, event, n, units in db.session.execute(query):
        found[(_as_local(when, start.tzinfo), channel or "", EVENTS[event])] = (n, units or 0)
    return found


def daily_costs(now: datetime | None = None) -> list[DayCost]:
    """The last ``DAYS`` days (today first) of every metered channel this site offers."""
    config = current_app.config
    today = _truncate((now or utcnow()).astimezone(display_zone()), "day")
    days = [today - timedelta(days=i) for i in range(DAYS)]
    found = _grouped(days[-1])
    metered = [c for c in channels.offered(config) if c.metered]
    rows = []
    for day in days:
        for channel in metered:
            count: dict[str, int] = defaultdict(int)
            for what in EVENTS.values():
                count[what] = found.get((day, channel.name, what), (0, 0))[0]
            units = found.get((day, channel.name, "sent"), (0, 0))[1]
            price = Decimal(config[channel.unit_cost]) if channel.unit_cost else Decimal(0)
            rows.append(DayCost(day, channel.name, units=units, cost=units * price, **count))
    return rows
