"""The forecast's confidence band as a chart: a shaded area from the pessimistic to the
optimistic figure per month, the expected figure as a line, and the client's wish (if any) as a
dashed rule, so a reader sees at a glance whether the wish is inside the band."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.safestring import SafeString

from kosmmos.lib.charts.canvas import Key, Plot
from kosmmos.lib.charts.scales import nice_axis

WISH = "#dc2626"


def band(
    labels: Sequence[str],
    low: Sequence[float],
    expected: Sequence[float],
    high: Sequence[float],
    brand: str,
    title: str,
    names: tuple[str, str, str],
    wish: float | None = None,
) -> SafeString:
    """``names`` labels the band, the expected line and the wish in the legend."""
    peak = max([*high, *expected, wish or 0, 0])
    plot = Plot(640, 220, (26, 20, 40, 48), nice_axis(peak), slots=len(labels))
    plot.grid()
    if labels:
        upper = [(plot.centre(i), plot.y(v)) for i, v in enumerate(high)]
        lower = [(plot.centre(i), plot.y(v)) for i, v in enumerate(low)]
        if len(labels) == 1:  # one month: a short bar-wide band instead of a single point
            half = plot.step * 0.3
            (x, top), (_x, bottom) = upper[0], lower[0]
            upper = [(x - half, top), (x + half, top)]
            lower = [(x - half, bottom), (x + half, bottom)]
        plot.polygon([*upper, *reversed(lower)], _tint(brand))
    plot.line(list(expected), brand, width=2.5)
    plot.x_labels(labels)
    keys = [Key(names[0], _tint(brand)), Key(names[1], brand, line=True)]
    if wish is not None:
        plot.rule(wish, WISH, width=1.5)
        keys.append(Key(names[2], WISH, line=True))
    plot.legend(keys, plot.left, 14)
    return plot.svg(title)


def _tint(colour: str) -> str:
    """A light version of a #rrggbb colour (mixed with white), for the band's area."""
    value = colour.lstrip("#")
    if len(value) != 6:
        return "#e0e7ff"
    parts = [int(value[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(p + (255 - p) * 0.75):02x}" for p in parts)
