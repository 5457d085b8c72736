"""The chart module: well-formed, escaped SVG; round axes; whole numbers on count axes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from django.utils import translation

from kosmmos.lib import charts
from kosmmos.lib.charts import Axis, count_axis, short, signed_axis


def test_it_draws_charts_as_well_formed_svg() -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    svgs = [
        charts.donut([charts.Slice("VK", 3), charts.Slice("<b>", 1)], "#123456", "t", "4 ₽"),
        charts.donut([charts.Slice("VK", 1)], "#123456", "whole"),
        charts.stacked_bar([charts.Slice("a", 1), charts.Slice("b", 0)], "bad colour", "t"),
        charts.bars_and_line(["Jan", "Feb"], [10, 20], [1, 2], "#123456", "t", "a", "b"),
        charts.pyramid([("All", "1 000"), ("Clients", "3")], "#123456", "t"),
        charts.time_lines([("<i>", [(moment, 1), (moment + timedelta(days=1), 5)])], "t"),
        charts.time_lines([], "empty"),
    ]
    for svg in svgs:
        root = ET.fromstring(str(svg))  # noqa: S314 -- our own output
        assert root.tag.endswith("svg")
        # Sizing is the stylesheet's: WeasyPrint misreads a height written on the <svg> itself.
        assert root.get("class") == "chart" and root.get("style") is None
    assert "&lt;b&gt;" in str(svgs[0])  # data is escaped
    assert "&lt;i&gt;" in str(svgs[5])


def test_it_puts_whole_numbers_on_count_axes() -> None:
    assert count_axis(0) == Axis(4, 1)
    assert count_axis(3) == Axis(4, 1)
    assert count_axis(5) == Axis(8, 2)
    assert count_axis(60) == Axis(80, 20)
    assert count_axis(90) == Axis(100, 25)
    for peak in range(1, 500):
        axis = count_axis(peak)
        assert axis.high >= peak and axis.high == 4 * axis.step and isinstance(axis.step, int)


@translation.override("en")
def test_it_puts_zero_on_a_tick_of_a_signed_axis() -> None:
    axis = signed_axis(-40_000, 1_234_567)
    assert axis == Axis(1_250_000, 250_000, -250_000)
    assert [short(v) for v in axis.ticks] == ["−250k", "0", "250k", "500k", "750k", "1M", "1.25M"]
    assert signed_axis(0, 0) == Axis(1, 1, 0)


@translation.override("en")
def test_it_shortens_axis_numbers() -> None:
    assert [short(v) for v in (0, 37.5, 1500, 2_000_000, -50_000)] == [
        "0", "37.5", "1.5k", "2M", "−50k"]


@translation.override("ru")
def test_it_shortens_axis_numbers_the_russian_way_on_a_russian_page() -> None:
    assert [short(v) for v in (0, 37.5, 1500, 200_000, 2_000_000, -50_000)] == [
        "0", "37,5", "1,5\u00a0тыс.", "200\u00a0тыс.", "2\u00a0млн", "−50\u00a0тыс."]
