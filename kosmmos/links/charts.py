"""The P&L chart: revenue and costs per month as bars, profit as a line — inline SVG drawn on
the server, like the proposal charts (kosmmos/proposals/charts.py). Each month's bars are links
to the rows behind them (conversions / costs of that month)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe

from kosmmos.links.stats import MonthRow

FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
REVENUE, COSTS, PROFIT, LOSS = "#10b981", "#f59e0b", "#4f46e5", "#ef4444"


def _nice(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10.0 * magnitude


def _short(value: float) -> str:
    sign = "−" if value < 0 else ""
    value = abs(value)
    if value >= 1_000_000:
        return f"{sign}{value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 1_000:
        return f"{sign}{value / 1_000:.0f}k"
    return f"{sign}{value:.0f}"


def _text(x: float, y: float, text: str, size: int = 11, anchor: str = "middle", fill: str = "#374151") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{fill}">{escape(text)}</text>')


def pnl_chart(rows: Sequence[MonthRow], title: str, labels: tuple[str, str, str],
              revenue_url: Callable[[MonthRow], str], costs_url: Callable[[MonthRow], str]) -> SafeString:
    width, height = 760, 300
    left, right, top, bottom = 56, 16, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([float(max(r.revenue, r.costs)) for r in rows] + [0.0])
    trough = min([float(r.profit) for r in rows] + [0.0])
    hi = _nice(peak)
    lo = -_nice(-trough) if trough < 0 else 0.0
    span = hi - lo

    def y(value: float) -> float:
        return top + (hi - value) / span * plot_h

    body: list[str] = []
    for i in range(5):
        value = lo + span * i / 4
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                    f'stroke="{"#9ca3af" if value == 0 else "#e5e7eb"}" stroke-width="1"/>')
        body.append(_text(left - 6, y(value) + 4, _short(value), 10, "end", "#6b7280"))
    step = plot_w / max(1, len(rows))
    bar = min(28.0, step * 0.32)
    points = []
    for i, row in enumerate(rows):
        cx = left + step * (i + 0.5)
        month = date_format(row.month, "M Y")
        for offset, value, colour, url, name in (
            (-bar - 1, float(row.revenue), REVENUE, revenue_url(row), labels[0]),
            (1, float(row.costs), COSTS, costs_url(row), labels[1]),
        ):
            height_px = abs(y(value) - y(0))
            body.append(
                f'<a href="{escape(url)}"><rect x="{cx + offset:.1f}" y="{min(y(value), y(0)):.1f}" '
                f'width="{bar:.1f}" height="{max(height_px, 1):.1f}" fill="{colour}" rx="2">'
                f"<title>{escape(name)} · {escape(month)}: {value:,.2f} ₽</title></rect></a>"
            )
        points.append((cx, y(float(row.profit)), float(row.profit), month))
        body.append(_text(cx, height - bottom + 16, month, 10))
    if points:
        path = " ".join(f"{x:.1f},{py:.1f}" for x, py, _, _ in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{PROFIT}" stroke-width="2"/>')
        for x, py, value, month in points:
            body.append(f'<circle cx="{x:.1f}" cy="{py:.1f}" r="3.5" fill="{PROFIT if value >= 0 else LOSS}">'
                        f"<title>{escape(labels[2])} · {escape(month)}: {value:,.2f} ₽</title></circle>")
    legend_x = left
    for colour, name in ((REVENUE, labels[0]), (COSTS, labels[1]), (PROFIT, labels[2])):
        body.append(f'<rect x="{legend_x}" y="8" width="10" height="10" fill="{colour}" rx="2"/>')
        body.append(_text(legend_x + 14, 17, name, 11, "start"))
        legend_x += 24 + 7 * len(name)
    return mark_safe(  # noqa: S308 -- every data string above is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'style="max-width:100%;height:auto" font-family="{FONT}"><title>{escape(title)}</title>'
        f"{''.join(body)}</svg>"
    )
