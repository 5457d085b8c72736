"""The chart kinds the apps share: donut, share bar, bars with a line, funnel, lines over time."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.safestring import SafeString

from kosmmos.lib.charts.canvas import FAINT, PALETTE, Canvas, Key, Plot, colours
from kosmmos.lib.charts.scales import nice_axis, percent


@dataclass(frozen=True)
class Slice:
    label: str
    value: float


def _arc_path(cx: float, cy: float, r: float, inner: float, start: float, end: float) -> str:
    """A donut segment from angle ``start`` to ``end`` (radians, clockwise from 12 o'clock)."""
    large = 1 if end - start > math.pi else 0

    def point(radius: float, angle: float) -> str:
        return f"{cx + radius * math.sin(angle):.2f} {cy - radius * math.cos(angle):.2f}"

    return (f"M {point(r, start)} A {r} {r} 0 {large} 1 {point(r, end)} "
            f"L {point(inner, end)} A {inner} {inner} 0 {large} 0 {point(inner, start)} Z")


def donut(slices: Sequence[Slice], brand: str, title: str, centre: str = "") -> SafeString:
    """Shares of a whole (the budget by network) with a legend on the right."""
    canvas = Canvas(420, 200)
    cx, cy, r, inner = 100, 100, 90, 55
    total = sum(s.value for s in slices if s.value > 0)
    fills = colours(brand, len(slices))
    angle = 0.0
    for item, fill in zip(slices, fills, strict=True):
        if total <= 0 or item.value <= 0:
            continue
        sweep = 2 * math.pi * item.value / total
        # An arc cannot start and end at one point: a 100% slice is drawn as two halves.
        parts = [(angle, angle + sweep)] if sweep < 2 * math.pi - 1e-6 else [
            (0.0, math.pi), (math.pi, 2 * math.pi)]
        for start, end in parts:
            canvas.path(_arc_path(cx, cy, r, inner, start, end), fill, stroke="#fff",
                        stroke_width=1)
        angle += sweep
    if centre:
        canvas.text(cx, cy + 5, centre, size=13, anchor="middle", weight="bold")
    for i, (item, fill) in enumerate(zip(slices, fills, strict=True)):
        y = 30 + i * 22
        share = 100 * item.value / total if total > 0 else 0
        canvas.rect(215, y - 10, 12, 12, fill, rx=2)
        canvas.text(233, y, f"{item.label} — {percent(share)}")
    return canvas.svg(title)


def stacked_bar(slices: Sequence[Slice], brand: str, title: str) -> SafeString:
    """One horizontal bar split by share (the budget by activity type), legend below."""
    width, bar_h, columns = 640, 26, 3
    canvas = Canvas(width, bar_h + 14 + math.ceil(len(slices) / columns) * 18)
    total = sum(s.value for s in slices if s.value > 0)
    fills = colours(brand, len(slices))
    x = 0.0
    for item, fill in zip(slices, fills, strict=True):
        if total <= 0 or item.value <= 0:
            continue
        w = width * item.value / total
        canvas.rect(x, 0, w, bar_h, fill)
        if w > 34:
            canvas.text(x + w / 2, 17, percent(100 * item.value / total), anchor="middle",
                        fill="#fff", weight="bold")
        x += w
    for i, (item, fill) in enumerate(zip(slices, fills, strict=True)):
        lx, ly = (i % columns) * (width / columns), bar_h + 22 + (i // columns) * 18
        canvas.rect(lx, ly - 10, 11, 11, fill, rx=2)
        canvas.text(lx + 16, ly, item.label, size=10)
    return canvas.svg(title)


def bars_and_line(
    labels: Sequence[str], bars: Sequence[float], line: Sequence[float], brand: str,
    title: str, bar_label: str, line_label: str,
) -> SafeString:
    """Bars on the left axis and a line on the right one, e.g. subscribers and leads by month."""
    line_colour = "#f59e0b" if brand.lower() != "#f59e0b" else "#10b981"
    plot = Plot(640, 240, (26, 48, 40, 48), nice_axis(max(bars, default=0)), slots=len(labels),
                right_axis=nice_axis(max(line, default=0)))
    plot.grid(right_fill=line_colour)
    plot.bars(bars, brand, rx=2)
    plot.x_labels(labels)
    plot.line(line, line_colour, right=True, width=2.5)
    plot.legend([Key(bar_label, brand), Key(line_label, line_colour, line=True)], plot.left, 14)
    return plot.svg(title)


def pyramid(levels: Sequence[tuple[str, str]], brand: str, title: str) -> SafeString:
    """The funnel as a pyramid, widest level on top; widths are by rank, not to scale (the
    levels differ by orders of magnitude), and each level carries its count."""
    width, level_h, gap = 640, 34, 4
    count = len(levels)
    canvas = Canvas(width, count * (level_h + gap))
    fills = colours(brand, count)
    for i, (label, value) in enumerate(levels):
        # Narrowing to 45% at the bottom leaves room for the label inside the last level.
        top_w = width * (1 - 0.55 * i / count)
        bottom_w = width * (1 - 0.55 * (i + 1) / count)
        y = i * (level_h + gap)
        canvas.polygon([((width - top_w) / 2, y), ((width + top_w) / 2, y),
                        ((width + bottom_w) / 2, y + level_h),
                        ((width - bottom_w) / 2, y + level_h)], fills[i])
        canvas.text(width / 2, y + 22, f"{label}: {value}", size=12, anchor="middle",
                    fill="#fff", weight="bold")
    return canvas.svg(title)


Point = tuple[datetime, float]


def time_lines(series: Sequence[tuple[str, Sequence[Point]]], title: str, *,
               width: int = 640, height: int = 240, fill: bool = False) -> SafeString:
    """One line per series over a shared time axis (post stats, followers); a legend on top.
    ``fill``: the chart grows to its card's width (a page's main chart), not only shrinks."""
    points = [p for _, values in series for p in values]
    if not points:
        canvas = Canvas(width, height)
        canvas.text(width / 2, height / 2, "—", size=14, anchor="middle", fill=FAINT)
        return canvas.svg(title, fill=fill)
    plot = Plot(width, height, (30, 16, 34, 48), nice_axis(max(p[1] for p in points)))
    start = min(p[0] for p in points).timestamp()
    span = max(max(p[0] for p in points).timestamp() - start, 1.0)
    plot.grid()
    for tick in range(3):
        moment = datetime.fromtimestamp(start + span * tick / 2, tz=timezone.get_current_timezone())
        plot.text(plot.left + plot.plot_w * tick / 2, height - plot.bottom + 16,
                  moment.strftime("%d.%m %H:%M" if span < 3 * 86400 else "%d.%m"), size=9,
                  anchor=("start", "middle", "end")[tick])
    for i, (_name, values) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        coords = [(plot.left + plot.plot_w * (at.timestamp() - start) / span, plot.y(value))
                  for at, value in values]
        if len(coords) > 1:
            plot.polyline(coords, colour)
        for x, y in coords:
            plot.dot(x, y, 2.5, colour)
    plot.legend([Key(name, PALETTE[i % len(PALETTE)], line=True)
                 for i, (name, _values) in enumerate(series)], plot.left, 14)
    return plot.svg(title, fill=fill)
