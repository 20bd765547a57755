"""The overview's numbers: grouped, indexed SQL on auth_events, never rows counted in Python.

Each page view runs one grouped query over the last 24 hours (an index range scan); the
days before today are counted once by the same kind of query and then read from Redis
(``stats_cache``), so a month of a million events is not recounted on every view.

Buckets are hours or days in DISPLAY_TIMEZONE. PostgreSQL converts each time with
``AT TIME ZONE``; SQLite (development) has no zones, so it shifts by the zone's current
offset, which is exact for zones without daylight saving such as Asia/Kolkata.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, literal_column, select

from ...platform.extensions import db
from ...platform.timefmt import display_zone
from ...signin.models import AuthEvent, utcnow
from . import stats_cache

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
SETTLE = timedelta(minutes=5)


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


def _grouped(unit: str, start: datetime, end: datetime | None) -> dict:
    """One grouped query: (local bucket, series, channel) -> count, for start <= at < end."""
    zone = start.tzinfo
    offset = int(start.utcoffset().total_seconds() // 60)
    bucket = _bucket_column(unit, str(zone), offset).label("bucket")
    query = (
        select(bucket, AuthEvent.event, AuthEvent.channel, func.count())
        .where(AuthEvent.event.in_(SERIES.values()), AuthEvent.at >= start.astimezone(UTC))
        .group_by(bucket, AuthEvent.event, AuthEvent.channel)
    )
    if end is not None:
        query = query.where(AuthEvent.at < end.astimezone(UTC))
    labels = {event: label for label, event in SERIES.items()}
    counts: dict[tuple[datetime, str, str], int] = defaultdict(int)
    for when, event, channel, n in db.session.execute(query):
        counts[(_as_local(when, zone), labels[event], channel or NO_CHANNEL)] += n
    return dict(counts)


def _stats(period: Period, buckets: list[datetime], counts: dict) -> Stats:
    channels = sorted({channel for _, _, channel in counts})
    return Stats(period, buckets, counts, channels)


def hourly(now: datetime | None = None) -> Stats:
    """The last 24 hours, per hour: a live query over one day of events."""
    local_now = (now or utcnow()).astimezone(display_zone())
    last = _truncate(local_now, "hour")
    first = last - HOURLY.step * (HOURLY.count - 1)
    buckets = [first + HOURLY.step * i for i in range(HOURLY.count)]
    return _stats(HOURLY, buckets, _grouped("hour", first, None))


def daily(hours: Stats, now: datetime | None = None) -> Stats:
    """The last 30 days, per day: finished days from the cache (counted once), today from
    ``hours`` (the last 24 hours always hold today's local midnight)."""
    local_now = (now or utcnow()).astimezone(display_zone())
    today = _truncate(local_now, "day")
    buckets = [today - DAILY.step * (DAILY.count - 1 - i) for i in range(DAILY.count)]
    past = buckets[:-1]
    cached = stats_cache.load(past)
    missing = [day for day in past if day not in cached]
    if missing:
        fresh: dict[datetime, stats_cache.Counts] = {day: {} for day in missing}
        for (day, series, channel), n in _grouped("day", missing[0], today).items():
            if day in fresh:
                fresh[day][(series, channel)] = n
        # A day that ended moments ago may still get the events of requests in flight.
        settled = local_now - SETTLE
        stats_cache.store({d: c for d, c in fresh.items() if d + DAILY.step <= settled})
        cached.update(fresh)
    counts = {(day, s, c): n for day, by in cached.items() for (s, c), n in by.items()}
    for (hour, series, channel), n in hours.counts.items():
        if hour >= today:
            counts[(today, series, channel)] = counts.get((today, series, channel), 0) + n
    return _stats(DAILY, buckets, counts)
