"""The figures a report shows: ONE adapter, one function per section, plain dataclasses out.

Every figure comes from the computation that already owns it — the P&L (``links.stats.pnl``),
the inbox analytics (``inbox.analytics``), the post and follower snapshots publishing collects
(``publishing.stats`` writes them) and the accepted proposal's targets (``WorkspaceTarget``) —
so the report says what the app's own pages say for the same period. The results page (#14)
brings ``kosmmos.results.figures.collect(workspace, start, end)``; when it lands, this module is
the one file to point at it, and nothing else in reports changes.

``collect`` returns the sections as JSON-ready dicts: that is what a sent version stores, and
what the page and the PDF are rendered from, so a frozen report never reads the live data again.
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.utils import timezone

from kosmmos.accounts.models import Workspace
from kosmmos.channels.models import Channel, ChannelStatsSnapshot
from kosmmos.content.models import Post, PostTarget, TargetStatus
from kosmmos.inbox import analytics
from kosmmos.inbox.models import Item
from kosmmos.links import stats
from kosmmos.proposals.models import TargetMetric, WorkspaceTarget
from kosmmos.publishing.models import PostStatsSnapshot

TOP_POSTS = 5
PLAN_POSTS = 30


@dataclass(frozen=True)
class Money:
    revenue: Decimal
    costs: Decimal
    profit: Decimal
    clicks: int
    conversions: int
    purchases: int
    romi: float | None
    cpa: Decimal | None
    average_check: Decimal | None
    profit_per_check: float | None
    months: list[dict[str, Any]]  # month, revenue, costs, profit: the P&L chart's rows


@dataclass(frozen=True)
class ChannelAudience:
    name: str
    network: str
    start: int | None
    end: int | None
    growth: int | None


@dataclass(frozen=True)
class Audience:
    followers_start: int | None
    followers_end: int | None
    growth: int | None
    channels: list[ChannelAudience]
    days: list[tuple[str, int]]  # (ISO day, followers of all channels): the chart


@dataclass(frozen=True)
class Engagement:
    posts: int
    views: int
    reach: int
    likes: int
    comments: int
    reposts: int
    er: float | None  # (likes + comments + reposts) ÷ followers at the end, %
    err: float | None  # (likes + comments + reposts) ÷ reach, %


@dataclass(frozen=True)
class TopPost:
    title: str
    channel: str
    published_at: str
    views: int
    reach: int
    likes: int
    comments: int
    reposts: int
    err: float | None


@dataclass(frozen=True)
class Content:
    posts: int
    top: list[TopPost]


@dataclass(frozen=True)
class Reviews:
    total: int
    positive: int
    neutral: int
    negative: int
    negative_share: float | None  # 0..1
    answered: int
    median_minutes: float | None
    within_target: float | None  # 0..1
    target_minutes: int
    days: list[tuple[str, int, int, int]]  # (ISO day, positive, neutral, negative)


@dataclass(frozen=True)
class ForecastRow:
    metric: str
    month: str
    target: Decimal
    actual: Decimal | None  # None: no source of data for the metric
    low: Decimal | None
    high: Decimal | None
    deviation: float | None  # (actual − target) ÷ target, %
    within_band: bool | None


@dataclass(frozen=True)
class Forecast:
    rows: list[ForecastRow] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedPost:
    title: str
    channels: str
    publish_at: str


@dataclass(frozen=True)
class Plan:
    start: str
    end: str
    posts: list[PlannedPost]


# --- the sections -------------------------------------------------------------------------------


def _tz(workspace: Workspace) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(workspace.organisation.timezone)


def _bounds(workspace: Workspace, start: date, end: date) -> tuple[datetime, datetime]:
    tz = _tz(workspace)
    return (datetime.combine(start, time.min, tz),
            datetime.combine(end + timedelta(days=1), time.min, tz))


def _months(workspace: Workspace, start: date, end: date) -> stats.Period:
    """The P&L works in whole months: the months the period touches."""
    return stats.Period(start.replace(day=1), end.replace(day=1), _tz(workspace))


def money(workspace: Workspace, start: date, end: date) -> Money:
    """The P&L of the months of the period (``links.stats.pnl``)."""
    pnl = stats.pnl(workspace, _months(workspace, start, end))
    return Money(
        revenue=pnl.revenue, costs=pnl.costs, profit=pnl.profit, clicks=pnl.clicks,
        conversions=pnl.conversions, purchases=pnl.purchases, romi=pnl.romi, cpa=pnl.cpa,
        average_check=pnl.average_check, profit_per_check=pnl.profit_per_check,
        months=[{"month": row.month.isoformat(), "revenue": row.revenue, "costs": row.costs,
                 "profit": row.profit} for row in pnl.months],
    )


def audience(workspace: Workspace, start: date, end: date) -> Audience:
    """Followers per channel from the daily snapshots: the last reading before the period (or
    its first day's) and the last one in it."""
    channels = list(Channel.objects.filter(workspace=workspace).order_by("name"))
    rows = list(ChannelStatsSnapshot.objects.filter(
        organisation=workspace.organisation_id, channel__in=channels,
        day__gte=start - timedelta(days=1), day__lte=end).order_by("day")
        .values_list("channel_id", "day", "followers"))
    per: list[ChannelAudience] = []
    by_day: dict[date, int] = {}
    for channel in channels:
        mine = [(day, n) for pk, day, n in rows if pk == channel.pk]
        inside = [(day, n) for day, n in mine if day >= start]
        first = mine[0][1] if mine else None
        last = inside[-1][1] if inside else None
        per.append(ChannelAudience(channel.name, channel.network, first, last,
                                   None if first is None or last is None else last - first))
        for day, n in inside:
            by_day[day] = by_day.get(day, 0) + n
    starts = [c.start for c in per if c.start is not None]
    ends = [c.end for c in per if c.end is not None]
    first, last = (sum(starts) if starts else None), (sum(ends) if ends else None)
    return Audience(first, last, None if first is None or last is None else last - first, per,
                    [(day.isoformat(), n) for day, n in sorted(by_day.items())])


def _latest_stats(workspace: Workspace, start: date, end: date) -> list[dict[str, Any]]:
    """Each post target published in the period with its latest stats reading (what the post's
    stats page shows as the last reading)."""
    since, until = _bounds(workspace, start, end)
    targets = PostTarget.objects.filter(
        organisation=workspace.organisation_id, channel__workspace=workspace,
        status=TargetStatus.PUBLISHED, published_at__gte=since, published_at__lt=until,
        post__deleted_at__isnull=True)
    latest = dict(PostStatsSnapshot.objects.filter(
        organisation=workspace.organisation_id, target__in=targets)
        .values("target").annotate(last=Max("taken_at")).values_list("target", "last"))
    readings = {s.target_id: s for s in PostStatsSnapshot.objects.filter(
        organisation=workspace.organisation_id, target__in=list(latest),
        taken_at__in=set(latest.values())) if latest.get(s.target_id) == s.taken_at}
    out = []
    for target in targets.select_related("post", "channel").order_by("published_at"):
        reading = readings.get(target.pk)
        out.append({
            "title": target.post.title or target.post.text[:80], "channel": target.channel.name,
            "published_at": target.published_at,
            **{f: int(getattr(reading, f) or 0) if reading else 0
               for f in ("views", "reach", "likes", "comments", "reposts")}})
    return out


def _pct(part: float, whole: float | None) -> float | None:
    return round(part / whole * 100, 2) if whole else None


def engagement(workspace: Workspace, start: date, end: date,
               followers_end: int | None = None) -> Engagement:
    posts = _latest_stats(workspace, start, end)
    total = {f: sum(p[f] for p in posts) for f in ("views", "reach", "likes", "comments",
                                                   "reposts")}
    acts = total["likes"] + total["comments"] + total["reposts"]
    if followers_end is None:
        followers_end = audience(workspace, start, end).followers_end
    return Engagement(posts=len(posts), **total, er=_pct(acts, followers_end),
                      err=_pct(acts, total["reach"]))


def content(workspace: Workspace, start: date, end: date) -> Content:
    posts = _latest_stats(workspace, start, end)
    tz = _tz(workspace)
    ranked = sorted(posts, key=lambda p: (-(p["likes"] + p["comments"] + p["reposts"]),
                                          -p["views"]))
    return Content(len(posts), [TopPost(
        title=p["title"], channel=p["channel"],
        published_at=p["published_at"].astimezone(tz).strftime("%d.%m.%Y %H:%M"),
        views=p["views"], reach=p["reach"], likes=p["likes"], comments=p["comments"],
        reposts=p["reposts"], err=_pct(p["likes"] + p["comments"] + p["reposts"], p["reach"]),
    ) for p in ranked[:TOP_POSTS]])


def reviews(workspace: Workspace, start: date, end: date) -> Reviews:
    """The inbox analytics (sentiment by day, the SLA summary) over the period's items."""
    since, until = _bounds(workspace, start, end)
    items = Item.objects.filter(organisation=workspace.organisation_id, workspace=workspace,
                                deleted_at__isnull=True, received_at__gte=since,
                                received_at__lt=until)
    target = analytics.sla_targets([workspace.pk])[workspace.pk]
    with timezone.override(_tz(workspace)):
        today = timezone.localdate()
        span = max((today - start).days + 1, 1)
        series = analytics.daily_sentiment(items, days=span)
        sla = analytics.sla_summary(items, target, days=span + 1)
    keep = [i for i, day in enumerate(series.days) if start <= day <= end]
    pos = [series.positive[i] for i in keep]
    neu = [series.neutral[i] for i in keep]
    neg = [series.negative[i] for i in keep]
    total = sum(pos) + sum(neu) + sum(neg)
    return Reviews(
        total=total, positive=sum(pos), neutral=sum(neu), negative=sum(neg),
        negative_share=sum(neg) / total if total else None, answered=sla.answered,
        median_minutes=sla.median_minutes, within_target=sla.within_target,
        target_minutes=target,
        days=[(series.days[i].isoformat(), series.positive[i], series.neutral[i],
               series.negative[i]) for i in keep])


# Where each proposal metric's actual comes from (the sources #14 names).
SOURCES: dict[str, Callable[[Money, Audience, Engagement], Decimal | None]] = {
    TargetMetric.BUDGET: lambda m, a, e: m.costs,
    TargetMetric.IMPRESSIONS: lambda m, a, e: Decimal(e.views),
    TargetMetric.REACH: lambda m, a, e: Decimal(e.reach),
    TargetMetric.CLICKS: lambda m, a, e: Decimal(m.clicks),
    TargetMetric.SUBSCRIBERS: lambda m, a, e: None if a.growth is None else Decimal(a.growth),
    TargetMetric.LEADS: lambda m, a, e: Decimal(m.conversions),
    TargetMetric.SALES: lambda m, a, e: Decimal(m.purchases),
}


def forecast(workspace: Workspace, start: date, end: date, *, money_: Money | None = None,
             audience_: Audience | None = None,
             engagement_: Engagement | None = None) -> Forecast:
    """The accepted proposal's monthly targets against the period's actuals."""
    targets = list(WorkspaceTarget.objects.filter(
        organisation=workspace.organisation_id, workspace=workspace,
        month__gte=start.replace(day=1), month__lte=end))
    if not targets:
        return Forecast([])
    m = money_ or money(workspace, start, end)
    a = audience_ or audience(workspace, start, end)
    e = engagement_ or engagement(workspace, start, end, a.followers_end)
    rows = []
    for t in targets:
        actual = SOURCES[t.metric](m, a, e) if t.metric in SOURCES else None
        rows.append(ForecastRow(
            metric=t.metric, month=t.month.isoformat(), target=t.value, actual=actual,
            low=t.low, high=t.high,
            deviation=(float((actual - t.value) / t.value * 100)
                       if actual is not None and t.value else None),
            within_band=t.within_band(str(actual)) if actual is not None else None))
    return Forecast(rows)


def plan(workspace: Workspace, start: date, end: date) -> Plan:
    """The posts scheduled for the month after the period."""
    first = (end.replace(day=1) + timedelta(days=32)).replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    since, until = _bounds(workspace, first, after - timedelta(days=1))
    posts = (Post.objects.filter(organisation=workspace.organisation_id, workspace=workspace,
                                 deleted_at__isnull=True, publish_at__gte=since,
                                 publish_at__lt=until)
             .prefetch_related("targets__channel").order_by("publish_at")[:PLAN_POSTS])
    tz = _tz(workspace)
    return Plan(first.isoformat(), (after - timedelta(days=1)).isoformat(), [PlannedPost(
        title=p.title or p.text[:80],
        channels=", ".join(sorted({t.channel.name for t in p.targets.all()})),
        publish_at=p.publish_at.astimezone(tz).strftime("%d.%m.%Y %H:%M") if p.publish_at else "",
    ) for p in posts])


# --- all of them ----------------------------------------------------------------------------------


def collect(workspace: Workspace, start: date, end: date,
            sections: list[str] | None = None) -> dict[str, Any]:
    """The sections asked for (default all) as JSON-ready dicts, keyed by section code."""
    wanted = set(sections or ("money", "audience", "engagement", "content", "reviews",
                              "forecast", "plan"))
    out: dict[str, Any] = {}
    m = money(workspace, start, end) if wanted & {"money", "forecast"} else None
    a = audience(workspace, start, end) if wanted & {"audience", "engagement",
                                                     "forecast"} else None
    e = (engagement(workspace, start, end, a.followers_end if a else None)
         if wanted & {"engagement", "forecast"} else None)
    if "money" in wanted:
        out["money"] = m
    if "audience" in wanted:
        out["audience"] = a
    if "engagement" in wanted:
        out["engagement"] = e
    if "content" in wanted:
        out["content"] = content(workspace, start, end)
    if "reviews" in wanted:
        out["reviews"] = reviews(workspace, start, end)
    if "forecast" in wanted:
        out["forecast"] = forecast(workspace, start, end, money_=m, audience_=a, engagement_=e)
    if "plan" in wanted:
        out["plan"] = plan(workspace, start, end)
    return {key: to_json(value) for key, value in out.items()}


def to_json(value: Any) -> Any:
    """Dataclasses, Decimals and dates as JSON: Decimals as strings (no float rounding)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
