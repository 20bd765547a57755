"""The overview: sign-in activity per hour and per day, by channel; queue and SMS budget."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template, request

from ...delivery import gates
from ...delivery.queue import queue_stats
from .blueprint import bp
from .charts import bar_chart
from .costs import daily_costs
from .stats import SERIES, Stats, daily, hourly


@dataclass(frozen=True)
class Operations:
    """Queue depth and workers (queue mode), SMS budget left this hour; None: not known."""

    queue_depth: int | None
    workers: int | None
    sms_left: int | None


def operations() -> Operations:
    """The queue (queue mode only) and the hour's SMS budget, as the delivery package counts."""
    sms_left = max(current_app.config["SMS_MAX_PER_HOUR"] - gates().sms_this_hour(), 0)
    if current_app.config["DELIVERY_MODE"] != "queue":
        return Operations(None, None, sms_left)
    depth, workers = queue_stats()
    return Operations(depth, workers, sms_left)


def charts(stats: Stats, channel: str | None, fmt: str) -> list:
    """One chart per series for the chosen channel (all channels when None)."""
    labels = [b.strftime(fmt) for b in stats.buckets]
    x_title = f"{stats.period.unit} ({current_app.config['DISPLAY_TIMEZONE']})"
    return [bar_chart(label, stats.row(label, channel), labels, x_title) for label in SERIES]


@bp.route("/")
def overview() -> str:
    """Charts and the same numbers as tables."""
    channel = request.args.get("channel") or None
    hours = hourly()
    days = daily(hours)
    if channel not in {*hours.channels, *days.channels}:
        channel = None
    return render_template(
        "admin/overview.html",
        periods=[
            ("Last 24 hours, per hour", hours, charts(hours, channel, "%H:%M"), "%d %b %H:%M"),
            ("Last 30 days, per day", days, charts(days, channel, "%d %b"), "%a %d %b"),
        ],
        series=list(SERIES),
        channel=channel,
        channels=sorted({*hours.channels, *days.channels}),
        ops=operations(),
        costs=daily_costs(),
        queue_mode=current_app.config["DELIVERY_MODE"] == "queue",
    )
