"""P&L and link figures for a workspace and a period of whole months (organisation time zone).

Clicks come from the event store's hourly rollups (never a scan of raw clicks); revenue and
costs from the app database. Definitions (shown on the page too):

* conversion rate = conversions credited to a link ÷ human clicks
* CPC = ad spend ÷ human clicks; CPA = all costs ÷ conversions
* average check = revenue of purchases ÷ purchases
* ROI = (revenue − costs) ÷ costs; ROMI = (revenue credited to links − costs) ÷ costs
* profit ÷ average check (the seed's "total profit divided by the average check"): how many
  average purchases the profit is worth
"""

from __future__ import annotations

import uuid
import zoneinfo
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from kosmmos.accounts.models import Workspace
from kosmmos.lib.dates import FIRST_YEAR, LAST_YEAR
from kosmmos.links.events import get_store
from kosmmos.links.models import Conversion, ConversionKind, CostCategory, CostEntry, TrackedLink

ZERO = Decimal("0.00")


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    start: date  # first day of the first month
    end: date  # first day of the last month (inclusive)
    tz: zoneinfo.ZoneInfo

    @classmethod
    def from_query(cls, query: Mapping[str, str], tz_name: str, today: date | None = None) -> Period:
        tz = zoneinfo.ZoneInfo(tz_name)
        today = today or datetime.now(tz).date()
        end = _month(query.get("to")) or today.replace(day=1)
        start = _month(query.get("from")) or _add_months(end, -5)
        if start > end:
            start, end = end, start
        if (end.year - start.year) * 12 + end.month - start.month > 35:
            start = _add_months(end, -35)
        return cls(start, end, tz)

    def months(self) -> list[date]:
        out, day = [], self.start
        while day <= self.end:
            out.append(day)
            day = _add_months(day, 1)
        return out

    def bounds(self) -> tuple[datetime, datetime]:
        first = datetime(self.start.year, self.start.month, 1, tzinfo=self.tz)
        after = _add_months(self.end, 1)
        return first, datetime(after.year, after.month, 1, tzinfo=self.tz)

    def ms(self) -> tuple[int, int]:
        start, end = self.bounds()
        return int(start.timestamp() * 1000), int(end.timestamp() * 1000)

    def month(self, day: date) -> Period:
        return Period(day, day, self.tz)

    def query(self) -> str:
        return f"from={self.start:%Y-%m}&to={self.end:%Y-%m}"


def _month(text: str | None) -> date | None:
    # Outside the years lib.dates allows, a typed month is ignored like any unreadable one.
    try:
        day = datetime.strptime((text or "")[:7], "%Y-%m").date() if text else None
    except ValueError:
        return None
    return day if day and FIRST_YEAR <= day.year <= LAST_YEAR else None


@dataclass
class MonthRow:
    month: date
    revenue: Decimal = ZERO
    costs: Decimal = ZERO
    clicks: int = 0
    conversions: int = 0
    purchases: int = 0

    @property
    def profit(self) -> Decimal:
        return self.revenue - self.costs


@dataclass
class Figures:
    clicks: int = 0
    bot_clicks: int = 0
    conversions: int = 0
    attributed: int = 0
    purchases: int = 0
    revenue: Decimal = ZERO
    purchase_revenue: Decimal = ZERO
    attributed_revenue: Decimal = ZERO
    costs: Decimal = ZERO
    ad_spend: Decimal = ZERO
    months: list[MonthRow] = field(default_factory=list)

    @property
    def profit(self) -> Decimal:
        return self.revenue - self.costs

    @property
    def conversion_rate(self) -> float | None:
        return self.attributed / self.clicks * 100 if self.clicks else None

    @property
    def cpc(self) -> Decimal | None:
        return (self.ad_spend / self.clicks).quantize(Decimal("0.01")) if self.clicks else None

    @property
    def cpa(self) -> Decimal | None:
        return (self.costs / self.conversions).quantize(Decimal("0.01")) if self.conversions else None

    @property
    def average_check(self) -> Decimal | None:
        return (self.purchase_revenue / self.purchases).quantize(Decimal("0.01")) if self.purchases else None

    @property
    def roi(self) -> float | None:
        return float(self.profit / self.costs * 100) if self.costs else None

    @property
    def romi(self) -> float | None:
        return float((self.attributed_revenue - self.costs) / self.costs * 100) if self.costs else None

    @property
    def profit_per_check(self) -> float | None:
        check = self.average_check
        return float(self.profit / check) if check else None


def clicks_by_month(workspace_id: uuid.UUID, period: Period) -> tuple[dict[date, int], int]:
    start_ms, end_ms = period.ms()
    months = period.months()
    # Each month's first millisecond in the period's zone: an hour belongs to the last one at or
    # before it (a bisection per hour row, not a datetime per row: a year is 8,760 rows).
    starts = [int(datetime(m.year, m.month, 1, tzinfo=period.tz).timestamp() * 1000)
              for m in months]
    by_month: dict[date, int] = {}
    bots = 0
    for hour, clicks, bot_clicks in get_store().hourly_totals(workspace_id, start_ms, end_ms):
        key = months[bisect_right(starts, hour) - 1]
        by_month[key] = by_month.get(key, 0) + clicks
        bots += bot_clicks
    return by_month, bots


def pnl(workspace: Workspace, period: Period) -> Figures:
    start, end = period.bounds()
    figures = Figures()
    rows = {m: MonthRow(m) for m in period.months()}
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=16, decimal_places=2)
    conversions = (
        Conversion.objects.filter(workspace=workspace, occurred_at__gte=start, occurred_at__lt=end)
        .annotate(m=TruncMonth("occurred_at", tzinfo=period.tz)).values("m")
        .annotate(
            revenue=Coalesce(Sum("amount"), Value(ZERO), output_field=money),
            n=Count("id"),
            purchases=Count("id", filter=Q(kind=ConversionKind.PURCHASE)),
            purchase_revenue=Coalesce(Sum("amount", filter=Q(kind=ConversionKind.PURCHASE)),
                                      Value(ZERO), output_field=money),
            attributed=Count("id", filter=Q(link__isnull=False)),
            attributed_revenue=Coalesce(Sum("amount", filter=Q(link__isnull=False)), Value(ZERO),
                                        output_field=money),
        )
    )
    for item in conversions:
        month = item["m"]
        key = date(month.year, month.month, 1)
        row = rows.get(key)
        if row is None:
            continue
        row.revenue += item["revenue"]
        row.conversions += item["n"]
        row.purchases += item["purchases"]
        figures.revenue += item["revenue"]
        figures.conversions += item["n"]
        figures.purchases += item["purchases"]
        figures.purchase_revenue += item["purchase_revenue"]
        figures.attributed += item["attributed"]
        figures.attributed_revenue += item["attributed_revenue"]
    costs = (
        CostEntry.objects.filter(workspace=workspace, month__gte=period.start, month__lte=period.end)
        .values("month", "category").annotate(total=Sum("amount"))
    )
    for item in costs:
        row = rows.get(item["month"])
        if row is None:
            continue
        row.costs += item["total"]
        figures.costs += item["total"]
        if item["category"] == CostCategory.AD_SPEND:
            figures.ad_spend += item["total"]
    clicks, figures.bot_clicks = clicks_by_month(workspace.pk, period)
    for month, count in clicks.items():
        if month in rows:
            rows[month].clicks += count
            figures.clicks += count
    figures.months = list(rows.values())
    return figures


@dataclass
class LinkRow:
    link: TrackedLink
    clicks: int = 0
    bot_clicks: int = 0
    conversions: int = 0
    revenue: Decimal = ZERO

    @property
    def conversion_rate(self) -> float | None:
        return self.conversions / self.clicks * 100 if self.clicks else None


def links_table(workspace: Workspace, period: Period, links: list[TrackedLink] | None = None) -> list[LinkRow]:
    """Every link of the workspace (or the given ones) with clicks, conversions and revenue."""
    start_ms, end_ms = period.ms()
    totals = get_store().link_totals(workspace.pk, start_ms, end_ms)
    start, end = period.bounds()
    credited = {
        item["link"]: item for item in Conversion.objects.filter(
            workspace=workspace, occurred_at__gte=start, occurred_at__lt=end, link__isnull=False,
        ).values("link").annotate(n=Count("id"), revenue=Sum("amount"))
    }
    if links is None:
        links = list(TrackedLink.objects.filter(workspace=workspace).select_related("campaign"))
    rows = []
    for link in links:
        t = totals.get(link.pk)
        c = credited.get(link.pk, {})
        rows.append(LinkRow(link, t.clicks if t else 0, t.bot_clicks if t else 0,
                            int(c.get("n", 0)), c.get("revenue") or ZERO))
    rows.sort(key=lambda r: (-r.clicks, -r.revenue, r.link.created_at.timestamp() * -1))
    return rows
