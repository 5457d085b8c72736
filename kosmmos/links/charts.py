"""The P&L chart: revenue and costs per month as bars, profit as a line, drawn with the shared
chart module (kosmmos/lib/charts.py). Each month's bars are links to the rows behind them
(conversions / costs of that month)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.utils.formats import date_format
from django.utils.safestring import SafeString

from kosmmos.lib.charts import Key, Plot, signed_axis
from kosmmos.links.stats import MonthRow

REVENUE, COSTS, PROFIT, LOSS = "#10b981", "#f59e0b", "#4f46e5", "#ef4444"


def pnl_chart(rows: Sequence[MonthRow], title: str, labels: tuple[str, str, str],
              revenue_url: Callable[[MonthRow], str], costs_url: Callable[[MonthRow], str],
              *, with_costs: bool = True) -> SafeString:
    """``with_costs=False`` draws revenue alone: the chart a client sees when the agency keeps
    its costs to itself (neither the costs' bars nor the profit line, which would reveal them)."""
    if not with_costs:
        return _revenue_chart(rows, title, labels[0], revenue_url)
    peak = max([float(max(r.revenue, r.costs)) for r in rows] + [0.0])
    trough = min([float(r.profit) for r in rows] + [0.0])
    plot = Plot(760, 300, (30, 16, 40, 56), signed_axis(trough, peak), slots=len(rows))
    plot.grid(size=10, label_fill="#6b7280")
    months = [date_format(r.month, "M Y") for r in rows]

    def tips(name: str, values: list[float]) -> list[str]:
        return [f"{name} · {month}: {value:,.2f} ₽" for month, value in zip(months, values, strict=True)]

    revenue, costs = [float(r.revenue) for r in rows], [float(r.costs) for r in rows]
    for k, (name, values, colour, url) in enumerate(((labels[0], revenue, REVENUE, revenue_url),
                                                      (labels[1], costs, COSTS, costs_url))):
        plot.bars(values, colour, share=0.32, most=28, group=(k, 2), min_height=1, rx=2,
                  tips=tips(name, values), links=[url(r) for r in rows])
    plot.x_labels(months, size=10, below=16)
    profit = [float(r.profit) for r in rows]
    plot.line(profit, PROFIT, dots=[PROFIT if v >= 0 else LOSS for v in profit],
              tips=tips(labels[2], profit))
    plot.legend([Key(name, colour) for colour, name in zip((REVENUE, COSTS, PROFIT), labels,
                                                           strict=True)], plot.left, 17, size=11)
    return plot.svg(title, fill=True)


def _revenue_chart(rows: Sequence[MonthRow], title: str, label: str,
                   revenue_url: Callable[[MonthRow], str]) -> SafeString:
    peak = max([float(r.revenue) for r in rows] + [0.0])
    plot = Plot(760, 300, (30, 16, 40, 56), signed_axis(0.0, peak), slots=len(rows))
    plot.grid(size=10, label_fill="#6b7280")
    months = [date_format(r.month, "M Y") for r in rows]
    revenue = [float(r.revenue) for r in rows]
    plot.bars(revenue, REVENUE, share=0.5, most=40, min_height=1, rx=2,
              tips=[f"{label} · {m}: {v:,.2f} ₽" for m, v in zip(months, revenue, strict=True)],
              links=[revenue_url(r) for r in rows])
    plot.x_labels(months, size=10, below=16)
    plot.legend([Key(label, REVENUE)], plot.left, 17, size=11)
    return plot.svg(title, fill=True)
