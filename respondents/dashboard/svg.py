"""Charts drawn on the server as inline SVG: no JavaScript, nothing from other hosts.

Plain Python (no Django). Colours and sizes are presentation attributes, never `style`,
because the pages' Content-Security-Policy refuses inline styles. Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

BAR = "#3b6ea5"
PALETTE = ("#3b6ea5", "#e07b39", "#5aa469", "#b5487a", "#8c7ae6", "#7f8c8d")
TEXT = "#1d1d1f"
LABEL_WIDTH = 150
ROW_HEIGHT = 22
CHART_WIDTH = 520
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    )


def _count(value: float) -> str:
    return f"{value:,.0f}"


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def _clip(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(
    rows: Sequence[tuple[str, float]],
    *,
    title: str,
    fmt: Callable[[float], str] = _count,
    colour: str = BAR,
) -> str:
    """Horizontal bars, one per (label, value), in the order given."""
    height = max(1, len(rows)) * ROW_HEIGHT + 8
    top = max((value for _, value in rows), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 60
    parts = [_open(CHART_WIDTH, height, title)]
    for index, (label, value) in enumerate(rows):
        y = 4 + index * ROW_HEIGHT
        width = max(1.0, span * value / top) if value else 0.0
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end" fill="{TEXT}" {FONT}>'
            f"{escape(_clip(label))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{width:.1f}" height="{ROW_HEIGHT - 6}" '
            f'fill="{colour}"/>'
            f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + 15}" fill="{TEXT}" {FONT}>'
            f"{escape(fmt(value))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(rows: Sequence[tuple[str, float]], *, title: str) -> str:
    """Vertical columns over time (one per day); the first and last labels are written."""
    height, base, left = 180, 150, 40
    count = max(1, len(rows))
    step = (CHART_WIDTH - left - 10) / count
    top = max((value for _, value in rows), default=0) or 1
    parts = [
        _open(CHART_WIDTH, height, title),
        f'<text x="{left - 4}" y="18" text-anchor="end" fill="{TEXT}" {FONT}>{_count(top)}</text>',
        f'<line x1="{left}" y1="{base}" x2="{CHART_WIDTH - 10}" y2="{base}" stroke="#999"/>',
    ]
    for index, (label, value) in enumerate(rows):
        bar_height = (base - 20) * value / top
        x = left + index * step
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{base - bar_height:.1f}" width="{max(1.0, step - 2):.1f}" '
            f'height="{bar_height:.1f}" fill="{BAR}"><title>{escape(label)}: '
            f"{_count(value)}</title></rect>"
        )
    if rows:
        parts.append(
            f'<text x="{left}" y="{base + 16}" fill="{TEXT}" {FONT}>{escape(rows[0][0])}</text>'
            f'<text x="{CHART_WIDTH - 10}" y="{base + 16}" text-anchor="end" fill="{TEXT}" '
            f"{FONT}>{escape(rows[-1][0])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def funnel_chart(steps: Sequence[tuple[str, int]], *, title: str) -> str:
    """Centred bars shrinking from step to step, each with its count and the share kept."""
    height = max(1, len(steps)) * 34 + 8
    top = max((count for _, count in steps), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 20
    centre = LABEL_WIDTH + span / 2
    parts = [_open(CHART_WIDTH, height, title)]
    previous: int | None = None
    for index, (label, count) in enumerate(steps):
        y = 4 + index * 34
        width = max(2.0, span * count / top)
        kept = f" ({percent(count / previous)})" if previous else ""
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 20}" text-anchor="end" fill="{TEXT}" {FONT}>'
            f"{escape(_clip(label))}</text>"
            f'<rect x="{centre - width / 2:.1f}" y="{y + 2}" width="{width:.1f}" height="28" '
            f'fill="{PALETTE[index % len(PALETTE)]}"/>'
            f'<text x="{centre:.1f}" y="{y + 20}" text-anchor="middle" fill="#fff" {FONT}>'
            f"{_count(count)}{escape(kept)}</text>"
        )
        previous = count
    parts.append("</svg>")
    return "".join(parts)


def grouped_bar_chart(
    categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, title: str
) -> str:
    """Shares per category, one bar per series (the study, then each reference), with a
    legend; values are fractions of 1."""
    group = max(1, len(series)) * 12 + 10
    legend = 18 * len(series)
    height = max(1, len(categories)) * group + legend + 10
    span = CHART_WIDTH - LABEL_WIDTH - 50
    parts = [_open(CHART_WIDTH, height, title)]
    for index, (name, _) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{4 + index * 18}" width="12" height="12" '
            f'fill="{colour}"/><text x="{LABEL_WIDTH + 18}" y="{14 + index * 18}" '
            f'fill="{TEXT}" {FONT}>{escape(name)}</text>'
        )
    for row, category in enumerate(categories):
        y = legend + 8 + row * group
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + group / 2:.0f}" text-anchor="end" '
            f'fill="{TEXT}" {FONT}>{escape(_clip(category))}</text>'
        )
        for index, (_, values) in enumerate(series):
            value = values[row] if row < len(values) else 0.0
            width = span * value
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + index * 12}" width="{width:.1f}" height="10" '
                f'fill="{PALETTE[index % len(PALETTE)]}"/>'
                f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + index * 12 + 9}" '
                f'fill="{TEXT}" font-family="system-ui, sans-serif" font-size="10">'
                f"{percent(value)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
