"""The figures a report shows, and where they come from.

A report does not compute its figures: the results page (#14) does, once, and the report shows
them. ``results`` sits above ``reports`` in the layers (it may import reports, not the reverse),
so reports declares what it needs — the section dataclasses below and a ``Provider``, a function
``(workspace, start, end) -> Sections`` — and the results app registers
``kosmmos.results.for_reports.sections`` in its ``AppConfig.ready``; that function calls
``results.figures.collect`` for the period and copies its figures into these sections. The one
section results has no figure for is the content plan of the next month (``plan``): it is a list
of scheduled posts, not a figure, and is read here from the posts.

``collect`` returns the sections as JSON-ready dicts: that is what a sent version stores, and
what the page and the PDF are rendered from, so a frozen report never reads the live data again.
The dataclasses' field names are the stored versions' keys: add fields, do not rename them.
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured

from kosmmos.accounts.models import Workspace
from kosmmos.content.models import Post

PLAN_POSTS = 30
# The sections the provider fills (the plan is read here).
FROM_RESULTS = ("money", "audience", "engagement", "content", "reviews", "forecast")


@dataclass(frozen=True)
class Money:
    """The P&L of the whole months the period touches (``whole_months`` False: the period is not
    whole months, the money covers ``months_start`` … ``months_end`` all the same)."""

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
    whole_months: bool = True
    months_start: date | None = None
    months_end: date | None = None


@dataclass(frozen=True)
class ChannelAudience:
    name: str
    network: str
    start: int | None  # followers on the first day with a count in the period
    end: int | None  # ... on the last
    growth: int | None
    partial: bool = False  # counted from after the period's start (connected mid-period)


@dataclass(frozen=True)
class Audience:
    followers_start: int | None
    followers_end: int | None
    growth: int | None
    channels: list[ChannelAudience]
    days: list[tuple[str, int]]  # (ISO day, followers of all channels): the chart
    partial: bool = False


@dataclass(frozen=True)
class Engagement:
    """Totals of each published post's newest statistics reading; None: no post has the metric
    (the network does not give it), never a zero."""

    posts: int
    views: int | None
    reach: int | None
    likes: int | None
    comments: int | None
    reposts: int | None
    er: float | None  # % — the results page's ER by followers
    err: float | None  # % — the results page's ERR by reach
    engagements: int | None = None


@dataclass(frozen=True)
class TopPost:
    title: str
    channel: str
    published_at: str
    views: int | None
    reach: int | None
    likes: int | None
    comments: int | None
    reposts: int | None
    err: float | None


@dataclass(frozen=True)
class Content:
    posts: int
    top: list[TopPost]  # the results page's top posts by ERR


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
    target: Decimal | None
    actual: Decimal | None  # None: no source of data for the metric
    low: Decimal | None
    high: Decimal | None
    deviation: float | None  # (projection − target) ÷ target, %
    projection: Decimal | None = None  # the month's end at the current pace (= actual once over)
    colour: str = "grey"  # green on target, amber within 80 %, red behind, grey: no verdict


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


# --- the provider ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sections:
    """Every figure section of one period, from one computation."""

    money: Money
    audience: Audience
    engagement: Engagement
    content: Content
    reviews: Reviews
    forecast: Forecast


class Provider(Protocol):
    def __call__(self, workspace: Workspace, start: date, end: date) -> Sections: ...


_provider: list[Provider] = []


def register(provider: Provider) -> None:
    """Make ``provider`` the source of the reports' figures (the results app does, once, in its
    ``ready``; registering again replaces it, so a reload does not stack them)."""
    _provider[:] = [provider]


def provider() -> Provider:
    if not _provider:
        raise ImproperlyConfigured(
            "No figures provider for reports: kosmmos.results registers one in its AppConfig.ready;"
            " is it in INSTALLED_APPS?")
    return _provider[0]


# --- the plan -------------------------------------------------------------------------------------


def _tz(workspace: Workspace) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(workspace.organisation.timezone)


def _bounds(workspace: Workspace, start: date, end: date) -> tuple[datetime, datetime]:
    tz = _tz(workspace)
    return (datetime.combine(start, time.min, tz),
            datetime.combine(end + timedelta(days=1), time.min, tz))


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
    """The sections asked for (default all) as JSON-ready dicts, keyed by section code. The
    figure sections come from one call of the provider, whichever of them are asked for."""
    wanted = {*FROM_RESULTS, "plan"} if sections is None else set(sections)
    out: dict[str, Any] = {}
    if wanted & set(FROM_RESULTS):
        found = provider()(workspace, start, end)
        out.update({code: getattr(found, code) for code in FROM_RESULTS if code in wanted})
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
