"""The results page's charts, drawn with the shared chart package; the P&L and the reviews
charts are the links and inbox apps' own (reused, not redrawn)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kosmmos.accounts.models import Workspace
from kosmmos.inbox.charts import response_time_chart, sentiment_chart
from kosmmos.lib.charts import Slice, stacked_bar, time_lines
from kosmmos.links.charts import pnl_chart
from kosmmos.results.figures import ChannelAudience, Mix, Results


def _at(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def page_charts(results: Results, workspace: Workspace, *, with_costs: bool = True
                ) -> dict[str, SafeString]:
    """``with_costs=False``: the P&L chart without costs and profit (a client's view when the
    agency keeps its costs to itself)."""
    conv = reverse("links:conversions", args=[workspace.pk])
    costs = reverse("links:costs", args=[workspace.pk])
    period = results.money.months
    e = results.engagement
    series = []
    for metric, label in (("views", _("Views")), ("reach", _("Reach")), ("likes", _("Likes")),
                          ("comments", _("Comments")), ("reposts", _("Reposts"))):
        points = [(_at(d.day), float(getattr(d, metric))) for d in e.by_day
                  if getattr(d, metric) is not None]
        if points:
            series.append((label, points))
    return {
        "pnl": pnl_chart(
            results.money.figures.months,
            _("Revenue, costs and profit by month") if with_costs else _("Revenue by month"),
            (_("Revenue"), _("Costs"), _("Profit")),
            revenue_url=lambda r: f"{conv}?{period.month(r.month).query()}",
            costs_url=lambda r: f"{costs}?{period.month(r.month).query()}",
            with_costs=with_costs),
        "followers": time_lines(
            [(_("Followers"), [(_at(d), float(v)) for d, v in zip(
                results.audience.days, results.audience.followers, strict=True) if v is not None])],
            _("Followers by day"), fill=True),
        "engagement": time_lines(series, _("Reach and engagement by day of publication"),
                                 fill=True),
        "sentiment": sentiment_chart(results.reviews.sentiment, _("Comments by sentiment")),
        "responses": response_time_chart(results.reviews.responses,
                                         results.reviews.sla.target_minutes,
                                         _("Median first response by day")),
    }


def heatmap_rows(results: Results) -> list[list[dict[str, Any]]]:
    """The best-time grid as table cells: the colour's strength is the cell's ERR against the
    best cell's; a cell with fewer than three posts is grey (too few to judge)."""
    cells = results.content.heatmap.cells
    peak = max((c.err or 0 for row in cells for c in row if not c.faint), default=0) or 1
    out = []
    for row in cells:
        line = []
        for c in row:
            if c.faint or c.err is None:
                bg = "#f3f4f6" if c.posts else "#ffffff"
            else:
                alpha = 0.15 + 0.85 * (c.err / peak)
                bg = f"rgba(79, 70, 229, {alpha:.2f})"
            line.append({"posts": c.posts, "err": c.err, "faint": c.faint, "bg": bg,
                         "dark": not c.faint and c.err is not None and c.err / peak > 0.55})
        out.append(line)
    return out


def _age_key(band: str) -> tuple[int, str]:
    head = band.split("-")[0].rstrip("+")
    return (int(head) if head.isdigit() else 999, band)


def demographics_charts(mix: Mix, brand: str = "") -> dict[str, SafeString]:
    """Three share bars for one reading: sex, age bands (youngest first) and the top cities."""
    names = {"f": _("Women"), "m": _("Men")}
    sex = [Slice(str(names.get(k, k)), float(v)) for k, v in sorted(mix.sex.items())]
    age = [Slice(k, float(mix.age[k])) for k in sorted(mix.age, key=_age_key)]
    cities = [Slice(name, float(n)) for name, n in mix.cities[:8]]
    return {"sex": stacked_bar(sex, brand, _("By sex")),
            "age": stacked_bar(age, brand, _("By age")),
            "cities": stacked_bar(cities, brand, _("By city (top)"))}


def demographics_rows(results: Results) -> list[tuple[ChannelAudience, dict[str, SafeString]]]:
    """The channels of the audience section with their demographics charts (empty without a
    reading)."""
    return [(c, demographics_charts(c.mix) if c.mix and c.mix.people else {})
            for c in results.audience.channels]
