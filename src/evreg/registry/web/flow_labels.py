"""Where the event-flow map's edge labels go: beside their curve, never on a curve (their own
or another edge's), on another label or on an application's box.

Each curve is a cubic Bézier, flattened into a polyline; a label box is tried just above and
just below its curve's midpoint (below first for a loop under the nodes), then a few pixels
further away on both sides at a time, until it touches nothing. A box "touches" a
curve when a segment of the polyline crosses the box grown by the stroke's width. Label widths
are estimated generously (the page's monospace at 12 px, a wider fallback glyph for anything
not ASCII such as ``✕``), so that the text never spills out of its box.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

Point = tuple[float, float]
Curve = tuple[Point, Point, Point, Point]
Box = tuple[float, float, float, float]  # left, top, width, height

CHAR_W = 7.6  # px per ASCII character of the 12 px monospace, bold included, with slack
WIDE_W = 14.0  # px per other character (``✕``, ``…``: drawn from a fallback font)
PADDING = 12.0  # px: 6 on each side of the text
GAP = 4.0  # px between a curve and its label
STROKE = 3.0  # px a box is grown by before testing it against a curve
STEP = 4.0
STEPS = 80


def label_width(text: str) -> float:
    return sum(CHAR_W if ord(c) < 128 else WIDE_W for c in text) + PADDING


def point(curve: Curve, t: float) -> Point:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = curve
    u = 1 - t
    a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
    return (a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3)


def polyline(curve: Curve, steps: int = 64) -> list[Point]:
    return [point(curve, i / steps) for i in range(steps + 1)]


def _segment_hits(a: Point, b: Point, box: Box) -> bool:
    """Whether the segment a-b meets the box (Liang-Barsky clipping)."""
    left, top, width, height = box
    dx, dy = b[0] - a[0], b[1] - a[1]
    low, high = 0.0, 1.0
    for p, q in (
        (-dx, a[0] - left),
        (dx, left + width - a[0]),
        (-dy, a[1] - top),
        (dy, top + height - a[1]),
    ):
        if p == 0:
            if q < 0:
                return False
            continue
        r = q / p
        if p < 0:
            low = max(low, r)
        else:
            high = min(high, r)
        if low > high:
            return False
    return True


def touches(box: Box, line: Sequence[Point]) -> bool:
    left, top, width, height = box
    grown = (left - STROKE, top - STROKE, width + 2 * STROKE, height + 2 * STROKE)
    return any(_segment_hits(a, b, grown) for a, b in itertools.pairwise(line))


def overlaps(one: Box, other: Box, margin: float = 2.0) -> bool:
    return (
        one[0] < other[0] + other[2] + margin
        and other[0] < one[0] + one[2] + margin
        and one[1] < other[1] + other[3] + margin
        and other[1] < one[1] + one[3] + margin
    )


def place(
    curves: Sequence[Curve],
    widths: Sequence[float],
    height: float,
    obstacles: Sequence[Box],
    below: Sequence[bool],
) -> list[Point]:
    """The top-left corner of each curve's label (``below``: try under the curve first)."""
    lines = [polyline(c) for c in curves]
    placed: list[Box] = []
    corners: list[Point] = []
    for curve, width, under in zip(curves, widths, below, strict=True):
        mx, my = point(curve, 0.5)
        left = mx - width / 2
        above_top = my - GAP - height
        under_top = my + GAP
        sides = [under_top, above_top] if under else [above_top, under_top]
        signs = [1.0, -1.0] if under else [-1.0, 1.0]
        chosen: Box | None = None
        for step in range(STEPS):  # the nearest free place, on either side of the curve
            for start, sign in zip(sides, signs, strict=True):
                box = (left, start + sign * step * STEP, width, height)
                if not any(touches(box, line) for line in lines) and not any(
                    overlaps(box, other) for other in (*placed, *obstacles)
                ):
                    chosen = box
                    break
            if chosen is not None:
                break
        if chosen is None:  # nowhere free nearby: beside the curve, as close as it gets
            chosen = (left, sides[0], width, height)
        placed.append(chosen)
        corners.append((chosen[0], chosen[1]))
    return corners
