"""Charts as inline SVG, drawn on the server so a browser and WeasyPrint show the same picture.

The one chart package of Kosmmos: the palette, the axis scales and number format (scales.py), a
drawing surface (``Canvas``, and ``Plot`` for charts with a value axis and categories along x;
canvas.py) and the chart kinds the apps share (donut, share bar, bars with a line, funnel, lines
over time; kinds.py). An app keeps only what is its own: which series, which labels and links.

Only plain shapes (rect, line, path, polygon, polyline, circle, text) and presentation attributes:
the subset WeasyPrint's SVG renderer draws exactly like a browser. Every function returns markup
safe to put into a template; all text that comes from data is escaped.

Sizing is left to CSS through the ``chart`` class (``chart-fill`` to grow to the box), in
kosmmos/static/kosmmos/kosmmos.css and kosmmos/templates/proposals/_document_style.html, never
written into the <svg>'s own style attribute: WeasyPrint takes a ``height:auto`` found there as
the drawing's own height and laid every proposal chart out in a square box, blank above and below.

Our own renderer rather than a library: pygal 3.1 (the maintained SVG charting library on PyPI)
was tried on the proposal's budget donut and forecast chart, in WeasyPrint and in Chromium. It
cannot draw bars and a line in one plot, labels its right axis 35.5555556, cuts Cyrillic legend
entries ("Новые подписчи…"), ships CSS and script hooks that have to be switched off, makes
WeasyPrint warn about duplicate anchors and weighs 15–21 KB a chart against 1.5–4 KB here.
"""

from kosmmos.lib.charts.canvas import (
    FAINT,
    FONT,
    GRID,
    INK,
    MUTED,
    PALETTE,
    Canvas,
    Key,
    Plot,
    colours,
)
from kosmmos.lib.charts.kinds import (
    Point,
    Slice,
    bars_and_line,
    donut,
    pyramid,
    stacked_bar,
    time_lines,
)
from kosmmos.lib.charts.scales import (
    Axis,
    count_axis,
    nice_axis,
    nice_max,
    percent,
    short,
    signed_axis,
    thin,
)

__all__ = [
    "FAINT", "FONT", "GRID", "INK", "MUTED", "PALETTE", "Axis", "Canvas", "Key", "Plot", "Point",
    "Slice", "bars_and_line", "colours", "count_axis", "donut", "nice_axis", "nice_max", "percent",
    "pyramid", "short", "signed_axis", "stacked_bar", "thin", "time_lines",
]
