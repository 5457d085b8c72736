"""What a client's SMM achieved in a period: the one entry point the results page, the API, the
KPI drift alert and the monthly client reports read.

    collect(workspace, start, end, networks=None, channels=None) -> Results

Every figure is computed by the module that owns it, never copied here:

* money — the P&L (``links.stats.pnl``, ``links.stats.links_table``) for the whole months the
  period touches;
* audience — the channels' daily follower counts (``channels.ChannelStatsSnapshot``, written by
  ``publishing.stats.collect_followers``), joins and leaves from the inbox (VK sends them);
* reach and engagement, content — each post's newest statistics reading
  (``publishing.stats.latest_snapshots``, as on the post's stats page);
* reviews — the inbox's review analytics (``inbox.analytics``);
* forecast vs actual — the accepted proposal's ``WorkspaceTarget`` rows against the figures
  above (``results.forecast``).

A figure that no source gives is ``None`` (shown «нет данных» / «нет источника данных», never a
zero). The dataclasses and their field names are a contract: add fields, do not rename them.
"""

from __future__ import annotations

import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Cast, Coalesce, ExtractHour, ExtractIsoWeekDay, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Workspace
from kosmmos.channels.models import (
    Channel,
    ChannelDemographics,
    ChannelStatsSnapshot,
    DemographicsAttempt,
)
from kosmmos.content.models import PostMedia, PostTarget, TargetStatus
from kosmmos.inbox import analytics
from kosmmos.inbox.models import DEFAULT_SLA_MINUTES, InboxProfile, Item, Kind
from kosmmos.links import stats as pnl_stats
from kosmmos.publishing.models import PostStatsSnapshot
from kosmmos.publishing.stats import newest_readings
from kosmmos.results import forecast
from kosmmos.results.forecast import Forecast
from kosmmos.results.networks import DEMOGRAPHICS, NO_DATA
from kosmmos.results.periods import Span

ZERO = Decimal("0.00")
METRICS = ("views", "reach", "likes", "comments", "reposts")
HEATMAP_DAYS = 365
HEATMAP_MIN_POSTS = 3

ER_FORMULA = _("ER by followers = (likes + comments + reposts) ÷ posts ÷ followers at the end "
               "× 100 %")
ERR_FORMULA = _("ERR by reach = (likes + comments + reposts) ÷ reach × 100 %, over the posts "
                "whose network gives reach")

# --- Money --------------------------------------------------------------------------------------


@dataclass
class Money:
    """The P&L's own figures (``links.stats.Figures``: revenue, costs, profit, ROMI, CPA, average
    check, profit ÷ average check, by month) for ``months``, the whole months the period touches."""

    figures: pnl_stats.Figures
    months: pnl_stats.Period
    whole_months: bool  # False: the period is not whole months; money covers ``months``
    for_whole_client: bool  # True when a network/channel filter is on: money is never filtered


# --- Audience -----------------------------------------------------------------------------------


@dataclass
class ChannelAudience:
    channel_id: uuid.UUID
    name: str
    network: str
    start: int | None  # followers on the first day with a count in the period
    end: int | None  # followers on the last day with a count in the period
    first_day: date | None
    last_day: date | None
    partial: bool  # counted from after the period's start (connected mid-period)
    joins: int | None  # None: the network does not report joins and leaves
    leaves: int | None
    demographics: str  # what the network gives (or why nothing), shown beside the reading
    mix: Mix | None = None  # the newest demographics reading ending inside the period
    mix_error: str = ""  # the last reading failed after ``mix`` (shown with a retry button)

    @property
    def net(self) -> int | None:
        return None if self.start is None or self.end is None else self.end - self.start


@dataclass
class Mix:
    """A channel's audience by sex, age and city for the period the network gave
    (``channels.ChannelDemographics``)."""

    period_from: date
    period_to: date
    basis: str  # visitors (VK, sandbox) | members (OK)
    sex: dict[str, int]
    age: dict[str, int]
    cities: list[tuple[str, int]]

    @property
    def people(self) -> int:
        return sum(self.sex.values())


@dataclass
class Audience:
    channels: list[ChannelAudience]
    days: list[date]
    followers: list[int | None]  # all channels together per day (a day without counts: None)
    counts: dict[uuid.UUID, dict[date, int]] = field(default_factory=dict)  # channel → day → n

    def growth(self, first: date, last: date) -> int | None:
        """Net growth from ``first`` to ``last`` summed per channel (a channel connected in
        between adds its own growth, not its whole audience); None without counts."""
        nets = []
        for days in self.counts.values():
            inside = sorted(d for d in days if first <= d <= last)
            if inside:
                nets.append(days[inside[-1]] - days[inside[0]])
        return sum(nets) if nets else None

    @property
    def start(self) -> int | None:
        known = [c.start for c in self.channels if c.start is not None]
        return sum(known) if known else None

    @property
    def end(self) -> int | None:
        known = [c.end for c in self.channels if c.end is not None]
        return sum(known) if known else None

    @property
    def net(self) -> int | None:
        known = [c.net for c in self.channels if c.net is not None]
        return sum(known) if known else None

    @property
    def partial(self) -> bool:
        return any(c.partial for c in self.channels)


# --- Reach, engagement, content -----------------------------------------------------------------


@dataclass
class PostFigures:
    """One published post on one channel, with its newest statistics reading."""

    target_id: uuid.UUID
    post_id: uuid.UUID
    title: str
    channel: str
    network: str
    published_at: datetime
    rubric: str
    format: str
    views: int | None = None
    reach: int | None = None
    likes: int | None = None
    comments: int | None = None
    reposts: int | None = None
    clicks: int = 0
    conversions: int = 0
    revenue: Decimal = ZERO

    # Cached: a post's figures are built once from its reading and read many times over (the
    # groups, the rankings, the heatmap), which made these the year page's hottest lines.
    @cached_property
    def engagements(self) -> int | None:
        parts = [self.likes, self.comments, self.reposts]
        return None if all(p is None for p in parts) else sum(p or 0 for p in parts)

    @cached_property
    def err(self) -> float | None:
        e = self.engagements
        return e / self.reach * 100 if e is not None and self.reach else None


def _total(posts: Iterable[PostFigures], metric: str) -> int | None:
    values = [getattr(p, metric) for p in posts if getattr(p, metric) is not None]
    return sum(values) if values else None


@dataclass
class DayEngagement:
    day: date
    posts: int
    views: int | None
    reach: int | None
    likes: int | None
    comments: int | None
    reposts: int | None


@dataclass
class Missing:
    network: str
    metric: str
    reason: str


@dataclass
class Engagement:
    posts: list[PostFigures]
    by_day: list[DayEngagement]
    followers: int | None  # at the end of the period (ER's denominator)
    missing: list[Missing]

    def total(self, metric: str) -> int | None:
        return _total(self.posts, metric)

    @property
    def views(self) -> int | None:
        return self.total("views")

    @property
    def reach(self) -> int | None:
        return self.total("reach")

    @property
    def likes(self) -> int | None:
        return self.total("likes")

    @property
    def comments(self) -> int | None:
        return self.total("comments")

    @property
    def reposts(self) -> int | None:
        return self.total("reposts")

    @property
    def engagements(self) -> int | None:
        return _total(self.posts, "engagements")

    @property
    def er(self) -> float | None:
        e = self.engagements
        if e is None or not self.posts or not self.followers:
            return None
        return e / len(self.posts) / self.followers * 100

    @property
    def err(self) -> float | None:
        with_reach = [p for p in self.posts if p.reach]
        reach = sum(p.reach or 0 for p in with_reach)
        e = _total(with_reach, "engagements")
        return e / reach * 100 if e is not None and reach else None


@dataclass
class Group:
    """Posts grouped by rubric, format or network."""

    name: str
    posts: int
    reach: int | None
    engagements: int | None
    err: float | None
    clicks: int
    revenue: Decimal


@dataclass
class Cell:
    posts: int
    err: float | None  # mean ERR of the cell's posts with reach

    @property
    def faint(self) -> bool:
        return self.posts < HEATMAP_MIN_POSTS


@dataclass
class Heatmap:
    """Best time to post: 7 weekdays (Monday first) × 24 hours in the organisation's zone, from
    the client's own posts of the year before the period's end."""

    tz: str
    cells: list[list[Cell]]
    since: date
    posts: int

    def best(self) -> tuple[int, int] | None:
        ranked = [(c.err, d, h) for d, row in enumerate(self.cells) for h, c in enumerate(row)
                  if not c.faint and c.err is not None]
        return max(ranked)[1:] if ranked else None


@dataclass
class Content:
    top_err: list[PostFigures]
    bottom_err: list[PostFigures]
    top_revenue: list[PostFigures]
    bottom_revenue: list[PostFigures]
    by_rubric: list[Group]
    by_format: list[Group]
    by_network: list[Group]
    heatmap: Heatmap


# --- Reviews ------------------------------------------------------------------------------------


@dataclass
class Reviews:
    """The inbox's review analytics for the period (``inbox.analytics``)."""

    sentiment: analytics.DaySeries
    responses: list[analytics.DayResponse]
    sla: analytics.Sla
    authors: int  # distinct people who wrote (the funnel's "loyal subscribers")


# --- The whole -----------------------------------------------------------------------------------


@dataclass
class Headline:
    """The figures compared with another period."""

    revenue: Decimal
    costs: Decimal
    profit: Decimal
    romi: float | None
    clicks: int
    conversions: int
    followers_net: int | None
    reach: int | None
    engagements: int | None
    err: float | None
    negatives: int


@dataclass
class Results:
    workspace_id: uuid.UUID
    span: Span
    networks: tuple[str, ...]
    channels: tuple[uuid.UUID, ...]
    money: Money
    audience: Audience
    engagement: Engagement
    content: Content
    reviews: Reviews
    forecast: Forecast  # empty in the compared periods' sections
    previous: Headline | None = None
    year_before: Headline | None = None
    computed_at: datetime = field(default_factory=timezone.now)

    def headline(self) -> Headline:
        f = self.money.figures
        return Headline(
            revenue=f.revenue, costs=f.costs, profit=f.profit, romi=f.romi, clicks=f.clicks,
            conversions=f.conversions, followers_net=self.audience.net,
            reach=self.engagement.reach, engagements=self.engagement.engagements,
            err=self.engagement.err, negatives=sum(self.reviews.sentiment.negative))


def collect(workspace: Workspace, start: date, end: date, networks: Sequence[str] | None = None,
            channels: Sequence[uuid.UUID] | None = None, *, compare: bool = True,
            detail: bool = True, today: date | None = None) -> Results:
    """Everything the results page shows for ``workspace`` from ``start`` to ``end`` (both
    inclusive, days in the organisation's time zone), optionally only for some networks and
    channels (money is the whole client's: the P&L is not kept per channel). With ``compare``,
    ``previous`` and ``year_before`` hold the same headline figures for the period before and
    the same period a year earlier. Without ``detail`` the best-time heatmap (a year of posts)
    is left empty: the agency roll-up shows no heatmap."""
    tz = zoneinfo.ZoneInfo(workspace.organisation.timezone)
    span = Span(min(start, end), max(start, end), tz)
    nets = tuple(sorted(set(networks or ())))
    chans = tuple(channels or ())
    chosen = _channels(workspace, nets, chans)
    results = _sections(workspace, span, chosen, bool(nets or chans), detail=detail)
    results.networks, results.channels = nets, chans
    results.forecast = forecast.build(workspace, span, results, today=today)
    if compare:
        results.previous = headline_of(workspace, span.previous(), chosen)
        results.year_before = headline_of(workspace, span.year_before(), chosen)
    return results


def _channels(workspace: Workspace, networks: tuple[str, ...],
              channels: tuple[uuid.UUID, ...]) -> list[Channel]:
    found = Channel.objects.filter(organisation=workspace.organisation_id, workspace=workspace)
    if networks:
        found = found.filter(network__in=networks)
    if channels:
        found = found.filter(pk__in=channels)
    return list(found.order_by("network", "name"))


def _sections(workspace: Workspace, span: Span, chosen: list[Channel], filtered: bool, *,
              detail: bool = True) -> Results:
    money = money_of(workspace, span, filtered)
    audience = audience_of(workspace, span, chosen)
    engagement = engagement_of(workspace, span, chosen, audience.end, money)
    return Results(
        workspace_id=workspace.pk, span=span, networks=(), channels=(), money=money,
        audience=audience, engagement=engagement,
        content=content_of(workspace, span, chosen, engagement, heatmap=detail),
        reviews=reviews_of(workspace, span, chosen), forecast=Forecast([]))


def headline_of(workspace: Workspace, span: Span, chosen: list[Channel]) -> Headline:
    """The compared periods' figures, from the same sources as ``collect``'s and equal to its
    ``headline()`` for the same period, summed in the database instead of per post."""
    f = pnl_stats.pnl(workspace, span.pnl_period())
    since, until = span.bounds()
    targets = published_targets(workspace, chosen, since, until)
    engaged = Coalesce("likes", 0) + Coalesce("comments", 0) + Coalesce("reposts", 0)
    sums = newest_readings(targets).aggregate(
        all_reach=Sum("reach"), n=Count("pk", filter=Q(likes__isnull=False) | Q(
            comments__isnull=False) | Q(reposts__isnull=False)), engaged=Sum(engaged),
        engaged_reach=Sum(engaged, filter=Q(reach__gt=0)), reach_known=Sum(
            "reach", filter=Q(reach__gt=0)))
    items = Item.objects.filter(organisation=workspace.organisation_id, workspace=workspace,
                                channel__in=[c.pk for c in chosen])
    with timezone.override(span.tz):
        negatives = sum(analytics.daily_sentiment(items, span.days, end=span.end).negative)
    err = (sums["engaged_reach"] / sums["reach_known"] * 100
           if sums["engaged_reach"] is not None and sums["reach_known"] else None)
    return Headline(
        revenue=f.revenue, costs=f.costs, profit=f.profit, romi=f.romi, clicks=f.clicks,
        conversions=f.conversions, followers_net=net_growth(workspace, span, chosen),
        reach=sums["all_reach"], engagements=sums["engaged"] if sums["n"] else None, err=err,
        negatives=negatives)


def money_of(workspace: Workspace, span: Span, filtered: bool = False) -> Money:
    period = span.pnl_period()
    return Money(pnl_stats.pnl(workspace, period), period, span.whole_months, filtered)


def audience_of(workspace: Workspace, span: Span, chosen: list[Channel]) -> Audience:
    ids = [c.pk for c in chosen]
    counts: dict[Any, dict[date, int]] = defaultdict(dict)
    for channel_id, day, followers in ChannelStatsSnapshot.objects.filter(
            organisation=workspace.organisation_id, channel__in=ids, day__gte=span.start,
            day__lte=span.end).values_list("channel_id", "day", "followers"):
        counts[channel_id][day] = followers
    bounds = span.bounds()
    moves = defaultdict(int)
    for channel_id, kind, n in Item.objects.filter(
            organisation=workspace.organisation_id, channel__in=ids, kind__in=[Kind.JOIN, Kind.LEAVE],
            received_at__gte=bounds[0], received_at__lt=bounds[1],
    ).values_list("channel_id", "kind").annotate(n=Count("pk")).order_by():
        moves[(channel_id, kind)] = n
    mixes, mix_errors = demographics_of(workspace, span, ids)
    rows = []
    for channel in chosen:
        days = counts.get(channel.pk, {})
        first, last = (min(days), max(days)) if days else (None, None)
        reports_moves = channel.network == "vk"
        rows.append(ChannelAudience(
            channel_id=channel.pk, name=channel.name, network=channel.network,
            start=days[first] if first else None, end=days[last] if last else None,
            first_day=first, last_day=last,
            partial=first is not None and first > span.start,
            joins=moves.get((channel.pk, Kind.JOIN), 0) if reports_moves else None,
            leaves=moves.get((channel.pk, Kind.LEAVE), 0) if reports_moves else None,
            demographics=str(DEMOGRAPHICS.get(channel.network, DEMOGRAPHICS["other"])),
            mix=mixes.get(channel.pk), mix_error=mix_errors.get(channel.pk, "")))
    series: list[int | None] = []
    carried: dict[Any, int] = {}
    for day in span.dates():
        for channel_id, days in counts.items():
            if day in days:
                carried[channel_id] = days[day]
        series.append(sum(carried.values()) if carried else None)
    return Audience(rows, span.dates(), series, dict(counts))


def net_growth(workspace: Workspace, span: Span, chosen: list[Channel]) -> int | None:
    """``audience_of(...).net`` from two small queries (each channel's first and last day with
    a count in the period, then those counts) instead of every day of every channel."""
    rows = ChannelStatsSnapshot.objects.filter(
        organisation=workspace.organisation_id, channel__in=[c.pk for c in chosen],
        day__gte=span.start, day__lte=span.end)
    ends = list(rows.values("channel").annotate(first=Min("day"), last=Max("day")).order_by()
                .values_list("channel", "first", "last"))
    if not ends:
        return None
    # IN × IN keeps to the (organisation, channel, day) index (an OR of pairs did not).
    days = {d for _c, first, last in ends for d in (first, last)}
    counts = {(c, d): n for c, d, n in rows.filter(day__in=days).values_list(
        "channel", "day", "followers")}
    return sum(counts[(c, last)] - counts[(c, first)] for c, first, last in ends)


def demographics_of(workspace: Workspace, span: Span, ids: list[Any]
                    ) -> tuple[dict[Any, Mix], dict[Any, str]]:
    """Per channel, the newest demographics reading whose period ends inside ``span``, and the
    error of a failed reading newer than it (two small queries: one row per channel)."""
    newest = dict(ChannelDemographics.objects.filter(
        organisation=workspace.organisation_id, channel__in=ids, period_to__gte=span.start,
        period_to__lte=span.end).values("channel").annotate(last=Max("period_to")).order_by()
        .values_list("channel", "last"))
    mixes: dict[Any, Mix] = {}
    if newest:
        q = Q()
        for channel_id, last in newest.items():
            q |= Q(channel=channel_id, period_to=last)
        for row in ChannelDemographics.objects.filter(q):
            mixes[row.channel_id] = Mix(row.period_from, row.period_to, row.basis, dict(row.sex),
                                        dict(row.age), [(str(n), int(c)) for n, c in row.cities])
    errors: dict[Any, str] = {}
    if span.end >= timezone.localdate(timezone.now(), span.tz) - timedelta(days=1):
        # Only a period reaching today can still get its reading; the newest attempt per
        # channel decides (a failure after a good reading still shows that reading).
        failed = (DemographicsAttempt.Outcome.FAILED, DemographicsAttempt.Outcome.AUTH)
        for channel_id, outcome, error in DemographicsAttempt.objects.filter(
                organisation=workspace.organisation_id, channel__in=ids,
                started_at__gte=timezone.now() - timedelta(days=2)).order_by(
                "-started_at", "-id").values_list("channel", "outcome", "error"):
            if channel_id not in errors:
                errors[channel_id] = (error or outcome) if outcome in failed else ""
    return mixes, {k: v for k, v in errors.items() if v}


def _format(kinds: list[str]) -> str:
    if any(k == "video" for k in kinds):
        return "video"
    if len(kinds) > 1:
        return "album"
    return "photo" if kinds else "text"


FORMATS = {"text": _("Text"), "photo": _("Photo"), "album": _("Album"), "video": _("Video")}


def published_targets(workspace: Workspace, chosen: list[Channel], since: datetime,
                      until: datetime) -> QuerySet[PostTarget]:
    """The published posts of these channels in [since, until): the rows behind the reach and
    engagement figures (the drill-down lists exactly these)."""
    return PostTarget.objects.filter(
        organisation=workspace.organisation_id, channel__in=[c.pk for c in chosen],
        status=TargetStatus.PUBLISHED, published_at__gte=since, published_at__lt=until,
        post__deleted_at__isnull=True)


def post_figures(workspace: Workspace, targets: QuerySet[PostTarget], money: Money | None = None
                 ) -> list[PostFigures]:
    """Each target with its newest reading and, given the money, what its links brought (the
    P&L's ``links_table`` for the money's months, by the post the link was placed in)."""
    rows = list(targets.order_by("published_at").values_list(
        "pk", "post_id", "post__title", Substr("post__text", 1, 80), "channel__name",
        "channel__network", "published_at", "post__rubric__name"))
    readings = {t: values for t, *values in newest_readings(targets).values_list(
        "target_id", *METRICS)}
    media: dict[Any, list[str]] = defaultdict(list)
    if rows:
        for post_id, kind in PostMedia.objects.filter(post__in=targets.values("post_id")
                                                      ).values_list("post_id", "media__kind"):
            media[post_id].append(kind)
    by_post: dict[str, pnl_stats.LinkRow] = {}
    if money is not None:
        for row in pnl_stats.links_table(workspace, money.months):
            if row.link.post_ref:
                merged = by_post.setdefault(row.link.post_ref, pnl_stats.LinkRow(row.link))
                merged.clicks += row.clicks
                merged.conversions += row.conversions
                merged.revenue += row.revenue
    out = []
    none = [None] * len(METRICS)
    for pk, post_id, title, text, channel, network, published, rubric in rows:
        link = by_post.get(str(post_id))
        out.append(PostFigures(
            pk, post_id, title or text, channel, network, published, rubric or "",
            _format(media[post_id]), **dict(zip(METRICS, readings.get(pk, none), strict=True)),
            clicks=link.clicks if link else 0, conversions=link.conversions if link else 0,
            revenue=link.revenue if link else ZERO))
    return out


def engagement_of(workspace: Workspace, span: Span, chosen: list[Channel], followers: int | None,
                  money: Money | None = None) -> Engagement:
    since, until = span.bounds()
    posts = post_figures(workspace, published_targets(workspace, chosen, since, until), money)
    # One pass: per day, the post count and each metric's sum (None while no post has it).
    sums: dict[date, list[Any]] = {}
    for p in posts:
        row = sums.setdefault(p.published_at.astimezone(span.tz).date(), [0] + [None] * 5)
        row[0] += 1
        for i, metric in enumerate(METRICS, start=1):
            value = getattr(p, metric)
            if value is not None:
                row[i] = (row[i] or 0) + value
    empty = [0] + [None] * 5
    by_day = [DayEngagement(d, *sums.get(d, empty)) for d in span.dates()]
    missing = []
    for network in sorted({c.network for c in chosen}):
        of_network = [p for p in posts if p.network == network]
        for metric in METRICS:
            reason = NO_DATA.get((network, metric))
            if reason and (not of_network or _total(of_network, metric) is None):
                missing.append(Missing(network, metric, str(reason)))
    return Engagement(posts, by_day, followers, missing)


def _group(name: str, posts: list[PostFigures]) -> Group:
    with_reach = [p for p in posts if p.reach]
    reach = _total(with_reach, "reach")
    e = _total(with_reach, "engagements")
    return Group(name, len(posts), _total(posts, "reach"), _total(posts, "engagements"),
                 e / reach * 100 if e is not None and reach else None,
                 sum(p.clicks for p in posts), sum((p.revenue for p in posts), ZERO))


def _groups(posts: list[PostFigures], key: Any) -> list[Group]:
    buckets: dict[str, list[PostFigures]] = defaultdict(list)
    for p in posts:
        buckets[key(p)].append(p)
    return sorted((_group(name, rows) for name, rows in buckets.items()),
                  key=lambda g: (-(g.err or -1), -g.posts, g.name))


def content_of(workspace: Workspace, span: Span, chosen: list[Channel], engagement: Engagement,
               *, heatmap: bool = True, size: int = 5) -> Content:
    posts = engagement.posts
    rated = sorted((p for p in posts if p.err is not None), key=lambda p: -(p.err or 0))
    earned = sorted(posts, key=lambda p: (-p.revenue, -p.clicks))
    # Translated once, not once per post (gettext per call showed in the year's profile).
    no_rubric, formats = str(_("No rubric")), {k: str(v) for k, v in FORMATS.items()}
    return Content(
        top_err=rated[:size], bottom_err=rated[::-1][:size] if len(rated) > size else [],
        top_revenue=[p for p in earned if p.revenue or p.clicks][:size],
        bottom_revenue=earned[::-1][:size] if len(earned) > size else [],
        by_rubric=_groups(posts, lambda p: p.rubric or no_rubric),
        by_format=_groups(posts, lambda p: formats[p.format]),
        by_network=_groups(posts, lambda p: p.network),
        heatmap=best_time(workspace, span, chosen, posts) if heatmap else Heatmap(
            str(span.tz), [], span.start, 0))


def best_time(workspace: Workspace, span: Span, chosen: list[Channel],
              posts: list[PostFigures] | None = None) -> Heatmap:
    """Mean ERR by weekday and hour of publication over the year before the period's end.
    ``posts``: the period's own posts, used when the period covers that year (no second read);
    otherwise the database groups the year's posts by weekday and hour itself."""
    since_day = span.end - timedelta(days=HEATMAP_DAYS - 1)
    since = datetime(since_day.year, since_day.month, since_day.day, tzinfo=span.tz)
    cells = [[Cell(0, None) for _h in range(24)] for _d in range(7)]
    if posts is not None and span.start <= since_day:
        sums: dict[tuple[int, int], list[float]] = defaultdict(list)
        for p in posts:
            if p.published_at < since:
                continue
            local = p.published_at.astimezone(span.tz)
            cells[local.weekday()][local.hour].posts += 1
            if p.err is not None:
                sums[(local.weekday(), local.hour)].append(p.err)
        for (d, h), values in sums.items():
            cells[d][h].err = sum(values) / len(values)
    elif _whole_hours(span.tz, since, span.bounds()[1]):
        _heat_by_utc_hour(cells, published_targets(workspace, chosen, since, span.bounds()[1]),
                          span.tz)
    else:
        targets = published_targets(workspace, chosen, since, span.bounds()[1])
        for day, hour, n in (targets.annotate(
                wd=ExtractIsoWeekDay("published_at", tzinfo=span.tz),
                h=ExtractHour("published_at", tzinfo=span.tz))
                .values("wd", "h").annotate(n=Count("pk")).values_list("wd", "h", "n")):
            cells[day - 1][hour].posts = n
        readings = newest_readings(targets).filter(reach__gt=0).filter(
            Q(likes__isnull=False) | Q(comments__isnull=False) | Q(reposts__isnull=False))
        for day, hour, err in (readings.annotate(
                wd=ExtractIsoWeekDay("target__published_at", tzinfo=span.tz),
                h=ExtractHour("target__published_at", tzinfo=span.tz))
                .values("wd", "h").annotate(err=Avg(ERR_OF_READING)).values_list("wd", "h", "err")):
            cells[day - 1][hour].err = err
    count = sum(c.posts for row in cells for c in row)
    return Heatmap(str(span.tz), cells, since_day, count)


ERR_OF_READING = Cast(Coalesce("likes", 0) + Coalesce("comments", 0) + Coalesce("reposts", 0),
                      FloatField()) * 100 / F("reach")


def _whole_hours(tz: zoneinfo.ZoneInfo, since: datetime, until: datetime) -> bool:
    """True when the zone is a whole number of hours from UTC over the year (Moscow; not
    Kolkata's +5:30), so a UTC hour falls in one local hour."""
    probes = [since + timedelta(days=d) for d in range(0, (until - since).days + 1, 30)]
    return all(not (tz.utcoffset(p.replace(tzinfo=None)) or timedelta()).total_seconds() % 3600
               for p in [*probes, until])


def _local_cell(bucket: str, tz: zoneinfo.ZoneInfo, seen: dict[str, tuple[int, int]]
                ) -> tuple[int, int]:
    """"2026-11-03 16" (the stored UTC time cut to the hour) → (weekday, hour) in ``tz``;
    sliced by hand, as strptime cost more than the queries."""
    cell = seen.get(bucket)
    if cell is None:
        local = datetime(int(bucket[0:4]), int(bucket[5:7]), int(bucket[8:10]),
                         int(bucket[11:13]), tzinfo=UTC).astimezone(tz)
        cell = seen[bucket] = (local.weekday(), local.hour)
    return cell


def _heat_by_utc_hour(cells: list[list[Cell]], targets: QuerySet[PostTarget],
                      tz: zoneinfo.ZoneInfo) -> None:
    """The heatmap grouped by the UTC hour in the database, a plain substring of the stored
    time (SQLite would otherwise call a Python function twice per post to shift it into the
    zone), then each hour moved into the zone here: exact for a whole-hour zone. ERR is averaged
    over the posts, from each hour's sum and count."""
    # One pass over the targets: each one's hour, and the ERR of its newest reading (None
    # when that reading has no reach or no engagement figure), summed per hour.
    gives_err = Q(reach__gt=0) & (Q(likes__isnull=False) | Q(comments__isnull=False)
                                  | Q(reposts__isnull=False))
    newest_err = (PostStatsSnapshot.objects.filter(target=OuterRef("pk")).order_by("-taken_at")
                  .annotate(e=Case(When(gives_err, then=ERR_OF_READING), default=None,
                                   output_field=FloatField())).values("e")[:1])
    seen: dict[str, tuple[int, int]] = {}
    sums: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0.0, 0])
    for bucket, n, total, rated in targets.annotate(
            b=Substr(Cast("published_at", CharField()), 1, 13),
            e=Subquery(newest_err, output_field=FloatField())).values("b").annotate(
            n=Count("pk"), total=Sum("e"), rated=Count("e")).values_list(
            "b", "n", "total", "rated").order_by():
        d, h = _local_cell(bucket, tz, seen)
        cells[d][h].posts += n
        if rated:
            acc = sums[(d, h)]
            acc[0] += total
            acc[1] += rated
    for (d, h), (total, n) in sums.items():
        cells[d][h].err = total / n if n else None


def reviews_of(workspace: Workspace, span: Span, chosen: list[Channel]) -> Reviews:
    items = Item.objects.filter(organisation=workspace.organisation_id, workspace=workspace,
                                channel__in=[c.pk for c in chosen])
    target = InboxProfile.objects.filter(workspace=workspace).values_list(
        "sla_minutes", flat=True).first() or DEFAULT_SLA_MINUTES
    since, until = span.bounds()
    with timezone.override(span.tz):
        sentiment = analytics.daily_sentiment(items, span.days, end=span.end)
        responses = analytics.daily_response_times(items, span.days, end=span.end)
        sla = analytics.sla_summary(items, target, span.days, until=until)
    authors = (items.filter(received_at__gte=since, received_at__lt=until,
                            kind__in=analytics.CONVERSATION_KINDS)
               .exclude(author_ref="").filter(~Q(author_ref=None))
               .values("author_ref").distinct().count())
    return Reviews(sentiment, responses, sla, authors)
