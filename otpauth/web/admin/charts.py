"""Bar charts as inline SVG, drawn on the server: no script, no external request.

Each chart carries its axes: counts on the left (0, half and the top, with faint grid
lines) and times below (five ticks from the first bucket to the last) with their unit and
time zone, so a chart reads without the table beside it.
"""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT = 360, 140
LEFT, RIGHT, TOP, BOTTOM = 30, 10, 18, 34  # room for the tick labels and axis titles
INK, MUTED, GRID = "#1f2933", "#52606d", "#d9e2ec"


def _y_axis(top: int) -> str:
    """Ticks at 0, half and ``top`` with grid lines (the chart's title says what is counted)."""
    plot = HEIGHT - TOP - BOTTOM
    ticks = sorted({0, top // 2, top})
    parts = []
    for value in ticks:
        y = HEIGHT - BOTTOM - plot * value / (top or 1)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text class="tick" x="{LEFT - 3}" y="{y + 3:.1f}" font-size="9" fill="{MUTED}" '
            f'text-anchor="end">{value}</text>'
        )
    return f'<g class="axis-y">{"".join(parts)}</g>'


def _x_axis(labels: list[str], slot: float, title: str) -> str:
    """Five ticks (first, quarters, last bucket) under their bars, and the axis title."""
    n = len(labels)
    picks = sorted({0, n // 4, n // 2, 3 * n // 4, n - 1}) if n else []
    parts = []
    for i in picks:
        x = LEFT + (i + 0.5) * slot
        anchor = "start" if i == 0 else "end" if i == n - 1 else "middle"
        parts.append(
            f'<line x1="{x:.1f}" y1="{HEIGHT - BOTTOM}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM + 3}" '
            f'stroke="{MUTED}"/><text class="tick" x="{x:.1f}" y="{HEIGHT - BOTTOM + 12}" '
            f'font-size="9" fill="{MUTED}" text-anchor="{anchor}">{escape(labels[i])}</text>'
        )
    parts.append(
        f'<text class="axis-title" x="{LEFT + (WIDTH - LEFT - RIGHT) / 2:.1f}" y="{HEIGHT - 4}" '
        f'font-size="9" fill="{MUTED}" text-anchor="middle">{escape(title)}</text>'
    )
    return f'<g class="axis-x">{"".join(parts)}</g>'


def bar_chart(title: str, values: list[int], labels: list[str], x_title: str = "") -> Markup:
    """A labelled SVG bar chart of ``values``; each bar has its number as a tooltip."""
    top = max(values, default=0)
    slot = (WIDTH - LEFT - RIGHT) / max(len(values), 1)
    plot = HEIGHT - TOP - BOTTOM
    bars = []
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        h = plot * value / (top or 1)
        bars.append(
            f'<rect x="{LEFT + i * slot:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" '
            f'width="{max(slot - 2, 1):.1f}" height="{h:.1f}" fill="#0b6e4f">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
    svg = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f'<text x="{LEFT}" y="11" font-size="11" fill="{INK}">{escape(title)} (max {top})</text>'
        f"{_y_axis(top)}"
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        f'stroke="#9aa5b1"/>{"".join(bars)}{_x_axis(labels, slot, x_title)}</svg>'
    )
    return Markup(svg)  # noqa: S704 - every interpolated text is escaped above
