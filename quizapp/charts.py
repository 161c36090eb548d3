"""Charts as inline SVG drawn on the server: no script, no library, no extra request.

Sized in viewBox units, so a chart fills its column on a laptop and keeps its shape on A4;
dark grey on white with black text, so it reads the same printed in black and white. Every
piece is a ``Markup`` template whose arguments markupsafe escapes, so no label can inject
markup. A chart helps the eye only: the page puts its numbers in a table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup

from quizapp.formatting import number

WIDTH = 640
FONT_SIZE = 12
INK = "#1c1c1c"
BAR = "#4d4d4d"  # 8:1 on white, and a solid grey on any printer
GRID = "#b3b3b3"
LABEL_CHARACTERS = 32

Rows = Sequence[tuple[str, float]]
Format = Callable[[float], str]

_OPEN = Markup(
    '<svg class="chart" role="img" aria-label="{title}" viewBox="0 0 {width} {height}" width="100%" '
    'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" '
    'font-family="system-ui, sans-serif" font-size="{font}" fill="{ink}">'
    "<title>{title}</title><desc>Số liệu đầy đủ ở bảng kèm theo.</desc>"
)
_BAR = Markup(
    '<g><title>{label}: {value}</title>'
    '<text x="{label_x}" y="{middle:g}" dy="0.35em" text-anchor="end">{short}</text>'
    '<rect x="{x}" y="{y}" width="{length:.1f}" height="{thickness}" fill="{fill}"/>'
    '<text x="{value_x:.1f}" y="{middle:g}" dy="0.35em">{value}</text></g>'
)
_GRID_LINE = Markup(
    '<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{stroke}"/>'
    '<text x="{label_x}" y="{y:.1f}" dy="0.35em" text-anchor="end">{value}</text>'
)
_COLUMN = Markup(
    '<g><title>{label}: {value}</title>'
    '<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="{fill}"/>'
)
_TEXT = Markup('<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{text}</text>')
_EMPTY = Markup('<text x="8" y="24">Chưa có số liệu.</text>')


def bar_chart(rows: Rows, *, title: str, format_value: Format = number, label_width: int = 230,
              row_height: int = 22) -> Markup:
    """Horizontal bars, one a row: the label on the left, the bar, its value at its end."""
    if not rows:
        return _empty(title)
    value_width = 70
    top = 6
    scale = (WIDTH - label_width - value_width) / (max(value for _, value in rows) or 1)
    parts = [_open(title, top * 2 + row_height * len(rows))]
    for index, (label, value) in enumerate(rows):
        y = top + index * row_height
        length = value * scale
        parts.append(_BAR.format(
            label=label, short=_short(label), value=format_value(value), label_x=label_width - 8,
            middle=y + row_height / 2, x=label_width, y=y + 3, length=length, thickness=row_height - 6,
            value_x=label_width + length + 6, fill=BAR,
        ))
    return _close(parts)


def column_chart(rows: Rows, *, title: str, format_value: Format = number, height: int = 240) -> Markup:
    """Vertical columns in order (days, scores), with a scale on the left and labels below.

    Values stand on the columns while there is room for them; labels below are thinned out
    to every k-th when there are too many to read.
    """
    if not rows:
        return _empty(title)
    left, right, top, bottom = 56, 8, 18, 30
    base = height - bottom
    step = (WIDTH - left - right) / len(rows)
    highest = max(value for _, value in rows)
    scale = (base - top) / (highest or 1)
    every = max(1, math.ceil(44 / step))  # a label below wants about 44 units
    parts = [_open(title, height)]
    # Counts get their half-way line at a whole number, so its label is exact.
    half = highest // 2 if isinstance(highest, int) else highest / 2
    for level in sorted({half, highest} - {0}):
        parts.append(_GRID_LINE.format(left=left, right=WIDTH - right, y=base - level * scale, stroke=GRID,
                                       label_x=left - 6, value=format_value(level)))
    for index, (label, value) in enumerate(rows):
        centre = left + (index + 0.5) * step
        column = value * scale
        shown = format_value(value)
        parts.append(_COLUMN.format(label=label, value=shown, x=centre - step * 0.4, y=base - column,
                                    width=step * 0.8, height=column, fill=BAR))
        if value and step >= 8 * len(shown):
            parts.append(_TEXT.format(x=centre, y=base - column - 4, text=shown))
        if index % every == 0:
            parts.append(_TEXT.format(x=centre, y=base + 16, text=_short(label)))
        parts.append(Markup("</g>"))
    parts.append(Markup('<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/>').format(
        left, WIDTH - right, base, base, INK))
    return _close(parts)


def _open(title: str, height: int) -> Markup:
    return _OPEN.format(title=title, width=WIDTH, height=height, font=FONT_SIZE, ink=INK)


def _close(parts: list[Markup]) -> Markup:
    return Markup("").join([*parts, Markup("</svg>")])


def _empty(title: str) -> Markup:
    return _close([_open(title, 40), _EMPTY])


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"
