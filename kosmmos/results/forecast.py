"""Forecast vs actual: each month's targets (the accepted proposal's ``WorkspaceTarget`` rows, as
the manager edited them) against what happened, with a projection to the month's end.

Where each actual comes from (``SOURCES``): reach ← the posts' reach; impressions ← the posts'
views; subscribers ← follower growth; clicks ← the tracked links' clicks (the P&L's); leads ←
conversions of any kind; sales ← purchases; budget ← costs. A metric whose source the client
does not have (no channel that gives reach, no tracked link, no conversion ever) has no actual:
«нет источника данных», never a zero.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Workspace
from kosmmos.ads import funnel as ad_funnel
from kosmmos.links.models import Conversion, TrackedLink
from kosmmos.proposals.models import TargetMetric, WorkspaceTarget
from kosmmos.results.networks import NO_DATA
from kosmmos.results.periods import Span, month_end

# ``results`` below is a ``results.figures.Results`` (figures calls this module, not the reverse).
Results = Any

BEHIND = 0.8  # a projection under 80 % of its target is behind (red) and raises the alert
DRIFT_AFTER_DAY = 7  # ... once the month's first week is over

SOURCES: dict[str, Any] = {
    TargetMetric.REACH: _("reach of the posts published in the month"),
    TargetMetric.IMPRESSIONS: _("views of the posts published in the month"),
    TargetMetric.SUBSCRIBERS: _("follower growth of the channels"),
    TargetMetric.CLICKS: _("clicks on tracked links (as in the P&L)"),
    TargetMetric.LEADS: _("conversions of any kind (as in the P&L)"),
    TargetMetric.SALES: _("purchases (as in the P&L)"),
    TargetMetric.BUDGET: _("costs entered for the month (as in the P&L)"),
}
NO_SOURCE = _("no data source")
METHOD_PACE = _("pace: actual ÷ days passed × days in the month")
METHOD_DONE = _("the month is over: the projection is the actual")
METHOD_AHEAD = _("the month has not started")
METHOD_COSTS = _("costs are entered per month: the projection is the entered costs")
# Lower is not worse for these: spending is reported, never "behind".
NEUTRAL = {TargetMetric.BUDGET}
ORDER = [TargetMetric.REACH, TargetMetric.IMPRESSIONS, TargetMetric.SUBSCRIBERS,
         TargetMetric.CLICKS, TargetMetric.LEADS, TargetMetric.SALES, TargetMetric.BUDGET]


@dataclass
class Row:
    month: date
    metric: str
    label: str
    source: str
    target: Decimal | None
    low: Decimal | None
    high: Decimal | None
    actual: Decimal | None  # None: no source
    projection: Decimal | None
    method: str
    edits: int = 0  # how many times a manager changed this target

    @property
    def has_source(self) -> bool:
        return self.actual is not None

    @property
    def pace(self) -> float | None:
        """projection ÷ target (1.0 = on target)."""
        if self.projection is None or not self.target:
            return None
        return float(self.projection / self.target)

    @property
    def deviation(self) -> float | None:
        """(projection − target) ÷ target, in %."""
        pace = self.pace
        return None if pace is None else (pace - 1) * 100

    @property
    def colour(self) -> str:
        """green (on target), amber (within 80 %), red (behind), grey (no source, no target or a
        cost)."""
        pace = self.pace
        if pace is None or self.metric in NEUTRAL:
            return "grey"
        if pace >= 1:
            return "green"
        return "amber" if pace >= BEHIND else "red"

    @property
    def behind(self) -> bool:
        return self.colour == "red"


@dataclass
class FunnelStep:
    stage: str
    label: str
    actual: int | None  # None: no source
    planned: int | None
    source: str


@dataclass
class Forecast:
    rows: list[Row]
    funnel: list[FunnelStep] = field(default_factory=list)

    def behind(self) -> list[Row]:
        return [r for r in self.rows if r.behind]

    def worst(self) -> Row | None:
        """The row with the lowest pace (the agency roll-up's sort key)."""
        rated = [r for r in self.rows if r.pace is not None and r.metric not in NEUTRAL]
        return min(rated, key=lambda r: r.pace or 0) if rated else None


def _elapsed(month: date, now: datetime, tz: Any) -> float:
    """The share of ``month`` passed at ``now`` (0 before it, 1 after it)."""
    first = datetime(month.year, month.month, 1, tzinfo=tz)
    after = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=tz)
    return min(1.0, max(0.0, (now - first).total_seconds() / (after - first).total_seconds()))


def sources(workspace: Workspace, results: Results) -> dict[str, bool]:
    """Which metrics the client has a source for."""
    posts = results.engagement.posts
    networks = {c.network for c in results.audience.channels}
    gives = {m: any((n, m) not in NO_DATA for n in networks) or any(
        getattr(p, m) is not None for p in posts) for m in ("views", "reach")}
    return {
        TargetMetric.REACH: gives["reach"],
        TargetMetric.IMPRESSIONS: gives["views"],
        TargetMetric.SUBSCRIBERS: bool(results.audience.channels),
        TargetMetric.CLICKS: TrackedLink.objects.filter(workspace=workspace).exists(),
        TargetMetric.LEADS: Conversion.objects.filter(workspace=workspace).exists(),
        TargetMetric.SALES: Conversion.objects.filter(workspace=workspace).exists(),
        TargetMetric.BUDGET: True,
    }


def _by_month(posts: list[Any], tz: Any) -> dict[date, list[Any]]:
    """The posts by the month of publication in ``tz``, computed once per list of posts (a
    year's page asks for twelve months of up to thousands of posts each)."""
    key = (id(posts), len(posts), str(tz))
    memo = _MONTHS_MEMO[0]
    if memo is not None and memo[0] == key:
        return memo[2]
    months: dict[date, list[Any]] = {}
    for p in posts:
        local = p.published_at.astimezone(tz)
        months.setdefault(date(local.year, local.month, 1), []).append(p)
    # One assignment, so a thread never sees a key with another list's months; the list itself
    # is kept so its id cannot be reused while memoised.
    _MONTHS_MEMO[0] = (key, posts, months)
    return months


_MONTHS_MEMO: list[tuple[Any, list[Any], dict[date, list[Any]]] | None] = [None]


def actuals(results: Results, month: date) -> dict[str, Decimal | None]:
    """The month's actual per metric, from the figures already collected for the period."""
    tz = results.span.tz
    money = next((m for m in results.money.figures.months if m.month == month), None)
    posts = _by_month(results.engagement.posts, tz).get(month, [])

    def total(metric: str) -> Decimal | None:
        values = [getattr(p, metric) for p in posts if getattr(p, metric) is not None]
        return Decimal(sum(values)) if values else Decimal(0)

    net = results.audience.growth(month, month_end(month))
    growth = Decimal(net) if net is not None else None
    return {
        TargetMetric.REACH: total("reach"),
        TargetMetric.IMPRESSIONS: total("views"),
        TargetMetric.SUBSCRIBERS: growth,
        TargetMetric.CLICKS: Decimal(money.clicks) if money else Decimal(0),
        TargetMetric.LEADS: Decimal(money.conversions) if money else Decimal(0),
        TargetMetric.SALES: Decimal(money.purchases) if money else Decimal(0),
        TargetMetric.BUDGET: money.costs if money else Decimal(0),
    }


def build(workspace: Workspace, span: Span, results: Results, *, today: date | None = None,
          now: datetime | None = None) -> Forecast:
    from kosmmos.results.models import TargetEdit

    now = now or timezone.now()
    if today is not None:
        now = datetime(today.year, today.month, today.day, 12, tzinfo=span.tz)
    months = span.months()
    targets = {(t.month, t.metric): t for t in WorkspaceTarget.objects.filter(
        organisation=workspace.organisation_id, workspace=workspace, month__in=months)}
    edits: dict[tuple[date, str], int] = {}
    for month, metric in TargetEdit.objects.filter(
            workspace=workspace, month__in=months).values_list("month", "metric"):
        edits[(month, metric)] = edits.get((month, metric), 0) + 1
    have = sources(workspace, results)
    rows = []
    for month in months:
        metrics = [m for m in ORDER if (month, m) in targets]
        if not metrics:
            continue
        actual = actuals(results, month)
        share = _elapsed(month, now, span.tz)
        for metric in metrics:
            t = targets[(month, metric)]
            value = actual[metric] if have[metric] else None
            if value is None:
                projection, method = None, str(NO_SOURCE)
            elif share >= 1:
                projection, method = value, str(METHOD_DONE)
            elif metric == TargetMetric.BUDGET:
                projection, method = value, str(METHOD_COSTS)
            elif share <= 0:
                projection, method = None, str(METHOD_AHEAD)
            else:
                projection = (value / Decimal(share)).quantize(Decimal("1"))
                method = str(METHOD_PACE)
            rows.append(Row(month, metric, str(TargetMetric(metric).label),
                            str(SOURCES[metric]) if have[metric] else str(NO_SOURCE),
                            t.value, t.low, t.high, value, projection, method,
                            edits.get((month, metric), 0)))
    return Forecast(rows, funnel(workspace, results))


def funnel(workspace: Workspace, results: Results) -> list[FunnelStep]:
    """The seed's pyramid with actual numbers beside the accepted proposal's."""
    from kosmmos.proposals.models import ProposalStatus, ProposalVersion
    from kosmmos.proposals.planning.model import FunnelStage

    # Only the plan's funnel levels ({stage, label, count, share_of_previous}, as
    # ``MediaPlan.to_dict`` writes them): decoding the whole plan costs more than the page.
    planned: dict[str, int] = {}
    plan = (ProposalVersion.objects.filter(
        proposal__organisation=workspace.organisation_id, proposal__status=ProposalStatus.ACCEPTED,
        proposal__targets__workspace=workspace, proposal__accepted_version=F("pk"))
        .order_by("-proposal__accepted_at").values_list("plan", flat=True).first())
    for level in (plan or {}).get("funnel") or []:
        if isinstance(level, dict) and isinstance(level.get("count"), int):
            planned[str(level.get("stage"))] = level["count"]
    # The target audience is who the ad campaigns reached (VK Ads' imported daily reach); with
    # no cabinet or nothing imported for the period there is no source, never a zero.
    ads_reach = ad_funnel.reach(workspace, results.span.start, results.span.end)
    actual: dict[str, tuple[int | None, Any]] = {
        FunnelStage.ALL_USERS: (results.engagement.reach, _("reach of the period's posts")),
        FunnelStage.TARGET_AUDIENCE: (ads_reach, _("the ad campaigns' reach (VK Ads)")
                                      if ads_reach is not None else NO_SOURCE),
        FunnelStage.SUBSCRIBERS: (results.audience.end, _("followers at the end")),
        FunnelStage.LOYAL: (results.reviews.authors, _("people who commented or wrote")),
        FunnelStage.CLIENTS: (results.money.figures.purchases, _("purchases (as in the P&L)")),
    }
    return [FunnelStep(stage.value, str(stage.label), actual[stage][0], planned.get(stage.value),
                       str(actual[stage][1])) for stage in FunnelStage]


def days_in(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]
