"""Counts of finished days, kept in Redis so the overview does not recount a month each time.

A day that has ended no longer changes (events are stamped when written), so its counts are
computed once by the grouped query and kept for the 30 days the overview shows them. The
only module that knows these keys:

- ``stats:{day:<zone>:<YYYY-MM-DD>}`` hash ``<series>|<channel>`` -> count, plus ``_`` so an
  empty day is remembered too [32 days]
"""

from __future__ import annotations

from datetime import datetime

from ...platform.redis import get_redis

TTL_SECONDS = 32 * 86400
Counts = dict[tuple[str, str], int]  # (series, channel) -> n


def _key(day: datetime) -> str:
    return f"stats:{{day:{day.tzinfo}:{day:%Y-%m-%d}}}"


def load(days: list[datetime]) -> dict[datetime, Counts]:
    """The cached counts of those ``days`` that are cached."""
    pipe = get_redis().pipeline(transaction=False)
    for day in days:
        pipe.hgetall(_key(day))
    found: dict[datetime, Counts] = {}
    for day, raw in zip(days, pipe.execute(), strict=True):
        if raw:
            found[day] = {}
            for field, n in raw.items():
                name = field.decode() if isinstance(field, bytes) else field
                if name != "_":
                    series, _, channel = name.partition("|")
                    found[day][(series, channel)] = int(n)
    return found


def store(counts_by_day: dict[datetime, Counts]) -> None:
    """Remember finished days' counts."""
    pipe = get_redis().pipeline(transaction=False)
    for day, counts in counts_by_day.items():
        key = _key(day)
        pipe.hset(key, mapping={"_": 0, **{f"{s}|{c}": n for (s, c), n in counts.items()}})
        pipe.expire(key, TTL_SECONDS)
    pipe.execute()
