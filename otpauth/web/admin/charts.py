"""Bar charts as inline SVG, drawn on the server: no script, no external request."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 360, 120, 18


def bar_chart(title: str, values: list[int], labels: list[str]) -> Markup:
    """A labelled SVG bar chart of ``values``; each bar has its number as a tooltip."""
    top = max(values, default=0) or 1
    slot = (WIDTH - 2 * PAD) / max(len(values), 1)
    bars = []
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        h = (HEIGHT - 2 * PAD) * value / top
        x = PAD + i * slot
        y = HEIGHT - PAD - h
        bars.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(slot - 2, 1):.1f}" height="{h:.1f}" '
            f'fill="#0b6e4f"><title>{escape(label)}: {value}</title></rect>'
        )
    first, last = (escape(labels[0]), escape(labels[-1])) if labels else ("", "")
    svg = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f'<text x="{PAD}" y="12" font-size="11" fill="#1f2933">{escape(title)} '
        f"(max {max(values, default=0)})</text>"
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        f'stroke="#9aa5b1"/>{"".join(bars)}'
        f'<text x="{PAD}" y="{HEIGHT - 4}" font-size="9" fill="#52606d">{first}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 4}" font-size="9" fill="#52606d" '
        f'text-anchor="end">{last}</text></svg>'
    )
    return Markup(svg)  # noqa: S704 - every interpolated text is escaped above
