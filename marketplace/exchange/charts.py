"""Geometry of the charts the browser pages draw as inline SVG on the server: a scatter
plot (bids: price against match score) and horizontal bars (spend share by vendor group).

Only numbers and strings come out of here; the templates turn them into SVG. Every mark
carries a text label and, on the scatter plot, a shape per category, so no chart relies
on colour alone. The table next to each chart is the accessible copy of its data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Marker shape per category (a verdict), so a category reads without its colour.
MARKERS = {
    "clear": "circle",
    "review": "triangle",
    "blocked": "square",
    "cleared_by_override": "diamond",
    "pending": "cross",
}
MARKER_RADIUS = 7.0


@dataclass(frozen=True, slots=True)
class Tick:
    value: float
    position: float  # along the axis, in SVG units
    label: str


@dataclass(frozen=True, slots=True)
class ScatterDatum:
    x: float
    y: float
    label: str
    category: str


@dataclass(frozen=True, slots=True)
class ScatterPoint:
    cx: float
    cy: float
    path: str  # the marker's outline as an SVG path
    shape: str
    category: str
    label: str
    label_x: float
    label_y: float
    label_anchor: str  # "start" or "end": labels near the right edge point left
    title: str


@dataclass(frozen=True, slots=True)
class ScatterChart:
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    x_label: str
    y_label: str
    points: list[ScatterPoint]

    @property
    def x_title_x(self) -> float:
        return round((self.left + self.right) / 2, 2)

    @property
    def x_title_y(self) -> float:
        return round(self.bottom + 42, 2)

    @property
    def x_tick_label_y(self) -> float:
        return round(self.bottom + 18, 2)

    @property
    def y_tick_label_x(self) -> float:
        return round(self.left - 8, 2)

    @property
    def y_title_transform(self) -> str:
        """The vertical axis title, turned to read upwards along the axis."""
        return f"translate(16 {(self.top + self.bottom) / 2:.2f}) rotate(-90)"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value_label: str
    label_y: float  # baseline of the label above the bar
    x: float
    y: float
    width: float
    height: float
    value_x: float  # where the value text starts, just after the bar
    value_y: float


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    left: float
    right: float
    ticks: list[Tick]
    axis_y: float
    bars: list[Bar]

    @property
    def tick_label_y(self) -> float:
        return round(self.axis_y + 16, 2)


def nice_step(span: float, count: int) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) that cuts `span` into about
    `count` intervals."""
    if span <= 0 or count < 1:
        return 1.0
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def nice_range(low: float, high: float, count: int = 5) -> tuple[float, float, float]:
    """An axis range covering [low, high] that starts and ends on round steps, and the
    step. A single value gets room on both sides."""
    if high < low:
        low, high = high, low
    if math.isclose(low, high):
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    step = nice_step(high - low, count)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def _ticks(
    low: float, high: float, step: float, scale: Callable[[float], float], fmt: Callable
) -> list[Tick]:
    ticks: list[Tick] = []
    count = round((high - low) / step)
    for i in range(count + 1):
        value = low + i * step
        ticks.append(Tick(value=value, position=round(scale(value), 2), label=fmt(value)))
    return ticks


def marker_path(shape: str, cx: float, cy: float, r: float = MARKER_RADIUS) -> str:
    """The outline of a marker centred on (cx, cy), as SVG path data."""

    def pts(points: Sequence[tuple[float, float]]) -> str:
        head, *rest = points
        return (
            f"M{head[0]:.2f} {head[1]:.2f} " + " ".join(f"L{x:.2f} {y:.2f}" for x, y in rest) + " Z"
        )

    if shape == "square":
        s = r * 0.85
        return pts([(cx - s, cy - s), (cx + s, cy - s), (cx + s, cy + s), (cx - s, cy + s)])
    if shape == "triangle":
        return pts([(cx, cy - r), (cx + r, cy + r * 0.8), (cx - r, cy + r * 0.8)])
    if shape == "diamond":
        return pts([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)])
    if shape == "cross":
        t = r * 0.35
        return pts(
            [
                (cx - t, cy - r), (cx + t, cy - r), (cx + t, cy - t), (cx + r, cy - t),
                (cx + r, cy + t), (cx + t, cy + t), (cx + t, cy + r), (cx - t, cy + r),
                (cx - t, cy + t), (cx - r, cy + t), (cx - r, cy - t), (cx - t, cy - t),
            ]
        )  # fmt: skip
    # A circle as two arcs, so every marker is a <path>.
    return (
        f"M{cx - r:.2f} {cy:.2f} a{r:.2f} {r:.2f} 0 1 0 {2 * r:.2f} 0 "
        f"a{r:.2f} {r:.2f} 0 1 0 {-2 * r:.2f} 0 Z"
    )


def scatter_chart(
    data: Sequence[ScatterDatum],
    *,
    x_label: str,
    y_label: str,
    x_format: Callable[[float], str] = lambda v: f"{v:,.0f}",
    y_format: Callable[[float], str] = lambda v: f"{v:,.0f}",
    y_range: tuple[float, float] | None = None,
    width: int = 640,
    height: int = 380,
) -> ScatterChart:
    """Places each datum in a plot area with room for the axes' tick labels and titles.
    `y_range` fixes the vertical axis (a score from 0 to 100); otherwise both axes fit
    the data on round numbers."""
    left, right, top, bottom = 72.0, width - 24.0, 20.0, height - 56.0
    xs = [d.x for d in data] or [0.0]
    x_low, x_high, x_step = nice_range(min(xs), max(xs))
    if y_range is not None:
        y_low, y_high = y_range
        y_step = nice_step(y_high - y_low, 5)
    else:
        ys = [d.y for d in data] or [0.0]
        y_low, y_high, y_step = nice_range(min(ys), max(ys))

    def sx(value: float) -> float:
        return left + (value - x_low) / (x_high - x_low) * (right - left)

    def sy(value: float) -> float:
        return bottom - (value - y_low) / (y_high - y_low) * (bottom - top)

    points = []
    for datum in data:
        cx, cy = round(sx(datum.x), 2), round(sy(datum.y), 2)
        shape = MARKERS.get(datum.category, "circle")
        near_right = cx > left + (right - left) * 0.6
        points.append(
            ScatterPoint(
                cx=cx,
                cy=cy,
                path=marker_path(shape, cx, cy),
                shape=shape,
                category=datum.category,
                label=datum.label,
                label_x=round(cx - 11 if near_right else cx + 11, 2),
                label_y=round(cy + 4, 2),
                label_anchor="end" if near_right else "start",
                title=f"{datum.label}: {x_format(datum.x)}, {y_format(datum.y)}",
            )
        )
    return ScatterChart(
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        x_ticks=_ticks(x_low, x_high, x_step, sx, x_format),
        y_ticks=_ticks(y_low, y_high, y_step, sy, y_format),
        x_label=x_label,
        y_label=y_label,
        points=points,
    )


def bar_chart(
    rows: Sequence[tuple[str, float]],
    *,
    maximum: float = 100.0,
    value_format: Callable[[float], str] = lambda v: f"{v:.1f}%",
    tick_format: Callable[[float], str] = lambda v: f"{v:.0f}%",
    width: int = 640,
    bar_height: int = 18,
) -> BarChart:
    """Horizontal bars, one per (label, value), each with its label above it and its
    value after it, on a scale from 0 to `maximum` (a share: 100)."""
    left, right = 16.0, width - 64.0
    row_height = bar_height + 28
    top = 8.0
    bars = []
    for i, (label, value) in enumerate(rows):
        y = top + i * row_height + 18
        length = max(0.0, min(value, maximum)) / maximum * (right - left) if maximum else 0.0
        bars.append(
            Bar(
                label=label,
                value_label=value_format(value),
                label_y=round(y - 5, 2),
                x=left,
                y=round(y, 2),
                width=round(length, 2),
                height=bar_height,
                value_x=round(left + length + 6, 2),
                value_y=round(y + bar_height - 5, 2),
            )
        )
    axis_y = top + len(rows) * row_height + 4
    step = nice_step(maximum, 4)
    ticks = _ticks(0.0, maximum, step, lambda v: left + v / maximum * (right - left), tick_format)
    return BarChart(
        width=width,
        height=int(axis_y + 24),
        left=left,
        right=right,
        ticks=ticks,
        axis_y=round(axis_y, 2),
        bars=bars,
    )
