"""The review charts: comments by sentiment per day, the weekly share of negatives and the first
response time per day, drawn with the shared chart module (kosmmos/lib/charts.py) from the
figures of kosmmos/inbox/analytics.py. They sit in full-width cards, so they grow to the card."""

from __future__ import annotations

import math

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kosmmos.inbox.analytics import DayResponse, DaySeries, WeekShare
from kosmmos.lib.charts import Axis, Key, Plot, count_axis, percent, thin

COLOURS = {"positive": "#10b981", "neutral": "#94a3b8", "negative": "#ef4444"}
ON_TIME, LATE, TARGET = "#6366f1", "#ef4444", "#f59e0b"
MARGINS = (30, 12, 34, 44)


def _count(value: float) -> str:
    return f"{value:g}"


def sentiment_chart(series: DaySeries, title: str) -> SafeString:
    """Stacked bars per day: negative at the bottom (what a manager looks for first). Each
    day's bar carries its counts as a tooltip."""
    plot = Plot(960, 250, (30, 12, 34, 40), count_axis(max(series.totals, default=0)),
                slots=len(series.days))
    plot.grid(size=10, fmt=_count)
    names = {"negative": _("Negative"), "neutral": _("Neutral"), "positive": _("Positive")}
    layers = (("negative", series.negative), ("neutral", series.neutral),
              ("positive", series.positive))
    plot.stack([(values, COLOURS[key]) for key, values in layers], tips=[
        f"{day:%d.%m}: " + ", ".join(f"{names[k].lower()} {v[i]}" for k, v in layers)
        for i, day in enumerate(series.days)])
    plot.x_labels(thin([f"{d:%d.%m}" for d in series.days], len(series.days) // 10), size=10)
    plot.legend([Key(names[key], COLOURS[key]) for key, _values in layers], plot.left, 16,
                size=11)
    return plot.svg(title, fill=True)


def negative_share_chart(weeks: list[WeekShare], title: str) -> SafeString:
    """The share of negatives per week as a line; weeks without comments leave a gap, and
    the period's overall share is a dashed line to compare each week with."""
    shares = [w.share for w in weeks]
    known = [v for v in shares if v is not None]
    # Multiples of 20 %, so the four steps read 5/10/15/20 %, 10/20/30/40 %, …
    peak = min(1.0, max(0.2, math.ceil(max(known, default=0.0) * 5 - 1e-9) / 5))
    plot = Plot(480, 220, MARGINS, Axis(peak * 100, peak * 25), slots=len(weeks))
    plot.grid(size=10, fmt=percent)
    total = sum(w.total for w in weeks)
    if total:
        plot.rule(100 * sum(w.negative for w in weeks) / total, COLOURS["negative"], opacity=0.6)
    plot.line([None if v is None else 100 * v for v in shares], COLOURS["negative"], tips=[
        _("Week of %(day)s: %(neg)s of %(total)s negative") % {
            "day": f"{w.start:%d.%m}", "neg": w.negative, "total": w.total} for w in weeks])
    plot.x_labels(thin([f"{w.start:%d.%m}" for w in weeks], 2, keep_last=True), size=10)
    if not total:
        plot.note(_("No comments yet."))
    return plot.svg(title, fill=True)


def response_time_chart(days: list[DayResponse], target_minutes: int, title: str) -> SafeString:
    """Median first response per day as bars (red above the target), the target dashed."""
    worst = max((d.median_minutes or 0.0 for d in days), default=0.0)
    plot = Plot(480, 220, MARGINS, count_axis(max(worst, float(target_minutes))),
                slots=len(days))
    plot.grid(size=10, fmt=_count)
    plot.bars([d.median_minutes for d in days],
              [LATE if (d.median_minutes or 0) > target_minutes else ON_TIME for d in days],
              share=0.7, min_height=1, tips=[
                  _("%(day)s: median %(minutes)s min over %(count)s answered") % {
                      "day": f"{d.day:%d.%m}", "minutes": f"{d.median_minutes or 0:.0f}",
                      "count": d.answered} for d in days])
    plot.x_labels(thin([f"{d.day:%d.%m}" for d in days], len(days) // 6), size=10)
    y = plot.rule(target_minutes, TARGET, width=1.5)
    plot.text(plot.left + 4, y - 4,  # left: the newest days' bars are on the right
              _("target %(minutes)s min") % {"minutes": target_minutes}, size=10, fill="#b45309")
    if not any(d.answered for d in days):
        plot.note(_("No answers yet."))
    return plot.svg(title, fill=True)
