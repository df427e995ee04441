"""Bar charts drawn on the server as SVG: no script, no style attribute (the pages' CSP allows
neither), presentation attributes only. Each chart's numbers are also in a table beside it.

A banded count ("0-9") is drawn as a pale bar reaching the band's upper edge, labelled with the
band, so the chart never shows more than the table does.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from haven.transparency.report import Row

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 190
BAR_SPACE = 320
VALUE_SPACE = 60
EXACT_FILL = "#1b4d7a"
BANDED_FILL = "#9db7cf"


def _magnitude(value: str) -> tuple[int, bool] | None:
    """The length to draw and whether it is a band; None for a value that is not a count."""
    if value.isdigit():
        return int(value), False
    low, dash, high = value.partition("-")
    if dash and low.isdigit() and high.isdigit():
        return int(high), True
    return None


def bar_chart(chart_id: str, title: str, rows: Sequence[Row]) -> Markup:
    """A horizontal bar chart of ``rows`` (only those whose value is a count or a band)."""
    drawn = [(row, m) for row in rows if (m := _magnitude(row.value)) is not None]
    largest = max((m[0] for _, m in drawn), default=0) or 1
    height = len(drawn) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_SPACE + VALUE_SPACE
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-title" '
        f'class="chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    for position, (row, (length, is_band)) in enumerate(drawn):
        top = GAP + position * (BAR_HEIGHT + GAP)
        bar = max(1, round(BAR_SPACE * length / largest)) if length else 1
        middle = top + BAR_HEIGHT // 2 + 5
        parts += [
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" font-size="14" '
            f'fill="#1a1f24">{escape(row.item.replace("_", " "))}</text>',
            f'<rect x="{LABEL_WIDTH}" y="{top}" width="{bar}" height="{BAR_HEIGHT}" '
            f'fill="{BANDED_FILL if is_band else EXACT_FILL}"/>',
            f'<text x="{LABEL_WIDTH + bar + 6}" y="{middle}" font-size="14" '
            f'fill="#1a1f24">{escape(row.value)}</text>',
        ]
    parts.append("</svg>")
    # Every text part above went through html.escape; ids and numbers are ours.
    return Markup("".join(parts))  # noqa: S704
