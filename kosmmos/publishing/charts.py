"""Time-series line charts as inline SVG (post stats over time, followers growth).

Drawn on the server like kosmmos/proposals/charts.py (whose helpers it reuses): plain shapes,
every data string escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone
from django.utils.safestring import SafeString

from kosmmos.proposals.charts import PALETTE, _nice_max, _short, _svg, _text

Point = tuple[datetime, float]


def lines(series: Sequence[tuple[str, Sequence[Point]]], title: str, *,
          width: int = 640, height: int = 240) -> SafeString:
    """One line per series over a shared time axis; a legend on top."""
    left, right, top, bottom = 48, 16, 30, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    points = [p for _, values in series for p in values]
    body: list[str] = []
    if not points:
        body.append(_text(width / 2, height / 2, "—", size=14, anchor="middle", fill="#9ca3af"))
        return _svg(width, height, body, title)
    start = min(p[0] for p in points).timestamp()
    end = max(p[0] for p in points).timestamp()
    span = max(end - start, 1.0)
    top_value = _nice_max(max(p[1] for p in points))
    for tick in range(5):
        y = top + plot_h - plot_h * tick / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                    f'stroke="#e5e7eb" stroke-width="1"/>')
        body.append(_text(left - 6, y + 4, _short(top_value * tick / 4), size=9, anchor="end"))
    for tick in range(3):
        moment = datetime.fromtimestamp(start + span * tick / 2, tz=timezone.get_current_timezone())
        label = moment.strftime("%d.%m %H:%M") if span < 3 * 86400 else moment.strftime("%d.%m")
        body.append(_text(left + plot_w * tick / 2, height - bottom + 16, label, size=9,
                          anchor=("start", "middle", "end")[tick]))
    for i, (name, values) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        coords = [(left + plot_w * (at.timestamp() - start) / span,
                   top + plot_h - plot_h * value / top_value) for at, value in values]
        if len(coords) > 1:
            body.append('<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>'.format(
                " ".join(f"{x:.1f},{y:.1f}" for x, y in coords), colour))
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>' for x, y in coords]
        body.append(f'<rect x="{left + i * 110}" y="8" width="14" height="3" fill="{colour}"/>')
        body.append(_text(left + i * 110 + 18, 14, name, size=10))
    return _svg(width, height, body, title)
