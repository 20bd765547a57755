"""The overview's numbers: grouped, indexed SQL on auth_events, never rows counted in Python.

Buckets are hours or days in DISPLAY_TIMEZONE. PostgreSQL converts each time with
``AT TIME ZONE``; SQLite (development) has no zones, so it shifts by the zone's current
offset, which is exact for zones without daylight saving such as Asia/Kolkata.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, literal_column, select

from ..extensions import db
from ..models import AuthEvent, utcnow
from ..timefmt import display_zone

# The overview's series: label -> event.
SERIES = {
    "requested": "otp_requested",
    "sent": "otp_sent",
    "send failures": "otp_send_failed",
    "wrong codes": "otp_verify_failed",
    "lockouts": "otp_locked",
    "rate-limited": "otp_rate_limited",
    "logins": "login",
}
NO_CHANNEL = "none"


@dataclass(frozen=True)
class Period:
    """A stats period: ``count`` buckets of one ``unit`` ('hour' or 'day'), ending now."""

    unit: str
    count: int

    @property
    def step(self) -> timedelta:
        return timedelta(hours=1) if self.unit == "hour" else timedelta(days=1)


HOURLY = Period("hour", 24)
DAILY = Period("day", 30)


@dataclass
class Stats:
    """Counts per bucket, series and channel over one period."""

    period: Period
    buckets: list[datetime]  # local bucket starts, oldest first
    counts: dict[tuple[datetime, str, str], int]  # (bucket, series, channel) -> n
    channels: list[str]

    def value(self, bucket: datetime, series: str, channel: str | None = None) -> int:
        if channel is not None:
            return self.counts.get((bucket, series, channel), 0)
        return sum(self.counts.get((bucket, series, c), 0) for c in self.channels)

    def row(self, series: str, channel: str | None = None) -> list[int]:
        return [self.value(b, series, channel) for b in self.buckets]

    def total(self, series: str, channel: str | None = None) -> int:
        return sum(self.row(series, channel))


def _truncate(moment: datetime, unit: str) -> datetime:
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if unit == "day" else moment


def _bucket_column(unit: str, zone_name: str, offset_minutes: int):  # noqa: ANN202
    if db.engine.dialect.name == "postgresql":
        local = func.timezone(zone_name, AuthEvent.at)
        return func.date_trunc(unit, local)
    fmt = "%Y-%m-%d %H:00:00" if unit == "hour" else "%Y-%m-%d 00:00:00"
    return func.strftime(fmt, AuthEvent.at, literal_column(f"'{offset_minutes:+d} minutes'"))


def _as_local(value: datetime | str, zone) -> datetime:  # noqa: ANN001
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=zone)


def collect(period: Period, now: datetime | None = None) -> Stats:
    """One grouped query for the period: count per (bucket, event, channel)."""
    zone = display_zone()
    local_now = (now or utcnow()).astimezone(zone)
    last = _truncate(local_now, period.unit)
    first = last - period.step * (period.count - 1)
    offset = int(local_now.utcoffset().total_seconds() // 60)
    bucket = _bucket_column(period.unit, zone.key, offset).label("bucket")
    query = (
        select(bucket, AuthEvent.event, AuthEvent.channel, func.count())
        .where(AuthEvent.event.in_(SERIES.values()), AuthEvent.at >= first.astimezone(UTC))
        .group_by(bucket, AuthEvent.event, AuthEvent.channel)
    )
    labels = {event: label for label, event in SERIES.items()}
    counts: dict[tuple[datetime, str, str], int] = defaultdict(int)
    channels = set()
    for when, event, channel, n in db.session.execute(query):
        key = (_as_local(when, zone), labels[event], channel or NO_CHANNEL)
        counts[key] += n
        channels.add(channel or NO_CHANNEL)
    buckets = [first + period.step * i for i in range(period.count)]
    return Stats(period, buckets, dict(counts), sorted(channels))
