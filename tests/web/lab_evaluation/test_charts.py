"""The server-drawn charts' geometry: points where their values say, round ticks, a
shape per category, bars in proportion."""

from __future__ import annotations

import pytest

from marketplace.exchange.charts import (
    MARKERS,
    ScatterDatum,
    bar_chart,
    marker_path,
    nice_range,
    nice_step,
    scatter_chart,
)


@pytest.mark.parametrize(
    ("span", "count", "step"),
    [(100, 5, 20), (10000, 5, 2000), (7, 5, 2), (1, 4, 0.25), (0, 5, 1)],
)
def test_steps_are_round(span, count, step):
    assert nice_step(span, count) == pytest.approx(step)


def test_a_range_covers_the_data_on_round_numbers():
    assert nice_range(25000, 30000) == (25000, 30000, 1000)
    low, high, step = nice_range(24100, 31700)
    assert low <= 24100 and high >= 31700 and low % step == 0 and high % step == 0
    # A single value gets room either side.
    low, high, _ = nice_range(30000, 30000)
    assert low < 30000 < high


def test_points_sit_where_their_values_say():
    chart = scatter_chart(
        [
            ScatterDatum(x=25000, y=0, label="Cheap", category="clear"),
            ScatterDatum(x=30000, y=100, label="Dear", category="blocked"),
        ],
        x_label="Price (USD)",
        y_label="Match score",
        y_range=(0, 100),
    )

    cheap, dear = chart.points
    # The lowest price and score sit at the plot's bottom left, the highest at its top right.
    assert (cheap.cx, cheap.cy) == (chart.left, chart.bottom)
    assert (dear.cx, dear.cy) == (chart.right, chart.top)
    assert [t.label for t in chart.y_ticks] == ["0", "20", "40", "60", "80", "100"]
    assert chart.x_ticks[0].label == "25,000" and chart.x_ticks[-1].label == "30,000"
    # Labels near the right edge read leftwards so they stay inside the chart.
    assert cheap.label_anchor == "start" and dear.label_anchor == "end"
    assert dear.title == "Dear: 30,000, 100"


def test_each_verdict_has_its_own_shape():
    assert len(set(MARKERS.values())) == len(MARKERS)
    chart = scatter_chart(
        [ScatterDatum(x=i, y=i, label=c, category=c) for i, c in enumerate(MARKERS)],
        x_label="x",
        y_label="y",
    )
    assert [p.shape for p in chart.points] == list(MARKERS.values())
    assert len({p.path.split()[0][0] for p in chart.points}) == 1  # all are paths from "M"


def test_marker_paths_are_centred():
    square = marker_path("square", 50, 50, 10)
    assert square.startswith("M41.50 41.50") and square.endswith("Z")
    assert marker_path("circle", 50, 50, 10).startswith("M40.00 50.00")


def test_bars_are_in_proportion_to_their_share():
    chart = bar_chart([("Big", 75.0), ("Small", 25.0)])

    big, small = chart.bars
    assert big.width == pytest.approx(3 * small.width)
    assert big.width == pytest.approx(0.75 * (chart.right - chart.left))
    assert big.y < small.y and big.label_y < big.y
    assert [t.label for t in chart.ticks] == ["0%", "25%", "50%", "75%", "100%"]
    assert big.value_label == "75.0%"
