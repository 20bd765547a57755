"""Times for people: stored in UTC, shown in DISPLAY_TIMEZONE."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def display_zone() -> ZoneInfo:
    """The zone of times shown to people."""
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


def to_display(moment: datetime | float | None) -> datetime | None:
    """``moment`` (aware, naive UTC as SQLite returns it, or a Unix time) in the display zone."""
    if moment is None:
        return None
    if isinstance(moment, int | float):
        moment = datetime.fromtimestamp(moment, UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(display_zone())


def display_time(moment: datetime | float | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A Jinja filter: ``moment`` formatted in the display zone, '-' for none."""
    local = to_display(moment)
    return local.strftime(fmt) if local else "-"


def labelled_time(
    moment: datetime | float | None, *, utc: bool = False, seconds: bool = False
) -> str:
    """A time for the CLI with its zone named: ``2026-01-02 08:34 IST`` in the display zone,
    or ``2026-01-02 03:04 UTC``; '-' for none."""
    local = to_display(moment)
    if local is None:
        return "-"
    if utc:
        local = local.astimezone(UTC)
    shown = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{shown} {'UTC' if utc else local.tzname()}"
