"""``GET /workspaces/{id}/results``: the results page's figures (``kosmmos.results.figures``) as
JSON — the same computation, so the API and the page never disagree."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import BeforeValidator, WithJsonSchema

from kosmmos.api.access import workspace_for
from kosmmos.api.schemas import Pnl
from kosmmos.api.security import READ, caller
from kosmmos.api.text import gettext_lazy
from kosmmos.proposals.models import TargetMetric
from kosmmos.results.figures import ER_FORMULA, ERR_FORMULA, Headline, Results, collect
from kosmmos.results.periods import Span

router = Router(auth=READ)

DAY = re.compile(r"^[1-9]\d{3}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")


def _day(raw: Any) -> str | None:
    """YYYY-MM-DD or YYYY-MM; the shape is checked here, an impossible day (31 February) or a
    year outside 2000–2100 is read as not given, as on the page."""
    if raw in ("", None):
        return None
    raw = str(raw)
    if not DAY.match(raw):
        raise ValueError(_("Expected a day, e.g. 2026-11-30, or a month, e.g. 2026-11."))
    return raw


Day = Annotated[str | None, BeforeValidator(_day), WithJsonSchema(
    {"type": "string", "pattern": DAY.pattern.replace("$", ")?$").replace("^", "^(", 1)})]


class Range(Schema):
    start: Day = Field(default=None, alias="from", description=gettext_lazy(
        "First day, YYYY-MM-DD (a month, YYYY-MM, means its first day; default: this month)."))
    end: Day = Field(default=None, alias="to", description=gettext_lazy(
        "Last day, YYYY-MM-DD (a month, YYYY-MM, means its last day)."))


class Demographics(Schema):
    period_from: str
    period_to: str
    basis: str = Field(description="visitors (VK: who visited in the period) or members (OK: all "
                                   "members on the day)")
    sex: dict[str, int]
    age: dict[str, int]
    cities: list[tuple[str, int]]


class ChannelAudience(Schema):
    id: uuid.UUID
    name: str
    network: str
    start: int | None
    end: int | None
    net: int | None
    partial: bool
    first_day: str | None
    joins: int | None
    leaves: int | None
    demographics: str
    demographics_reading: Demographics | None = None


class Audience(Schema):
    start: int | None
    end: int | None
    net: int | None
    partial: bool
    channels: list[ChannelAudience]


class Missing(Schema):
    network: str
    metric: str
    reason: str


class Engagement(Schema):
    posts: int
    views: int | None
    reach: int | None
    likes: int | None
    comments: int | None
    reposts: int | None
    er: float | None
    err: float | None
    er_formula: str
    err_formula: str
    missing: list[Missing]


class Reviews(Schema):
    positive: int
    neutral: int
    negative: int
    answered: int
    median_first_response_minutes: float | None
    within_target: float | None


class Target(Schema):
    month: str
    metric: str
    label: str
    source: str
    target: str | None
    low: str | None
    high: str | None
    actual: str | None = Field(description=gettext_lazy("Null when no source gives the figure."))
    projection: str | None
    method: str
    deviation: float | None
    colour: str


class HeadlineOut(Schema):
    revenue: str | None
    costs: str | None
    profit: str | None
    romi: float | None
    clicks: int
    conversions: int
    followers_net: int | None
    reach: int | None
    engagements: int | None
    err: float | None
    negatives: int


class HeatCell(Schema):
    posts: int
    err: float | None


class ResultsOut(Schema):
    period_from: str = Field(alias="from")
    period_to: str = Field(alias="to")
    money: Pnl
    money_whole_months: bool
    audience: Audience
    engagement: Engagement
    reviews: Reviews
    forecast: list[Target]
    best_time: list[list[HeatCell]] = Field(description=gettext_lazy(
        "Seven weekdays (Monday first) × 24 hours in the organisation's time zone."))
    previous: HeadlineOut | None
    year_before: HeadlineOut | None


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"  # the shape of ``schemas.Money``


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _headline(h: Headline | None) -> HeadlineOut | None:
    if h is None:
        return None
    return HeadlineOut(revenue=_money(h.revenue), costs=_money(h.costs), profit=_money(h.profit),
                       romi=_ratio(h.romi), clicks=h.clicks, conversions=h.conversions,
                       followers_net=h.followers_net, reach=h.reach, engagements=h.engagements,
                       err=_ratio(h.err), negatives=h.negatives)


def as_json(r: Results, *, with_costs: bool = True) -> dict[str, Any]:
    """``with_costs=False`` (a client when the agency keeps its costs to itself): costs and what
    reveals them are null, and the budget's forecast rows (their actual is the spend) left out."""
    months = r.money.months
    e, s = r.engagement, r.reviews
    money = Pnl.of(r.money.figures, f"{months.start:%Y-%m}", f"{months.end:%Y-%m}")
    previous, year_before = _headline(r.previous), _headline(r.year_before)
    if not with_costs:
        money = money.without_costs()
        previous, year_before = _no_costs(previous), _no_costs(year_before)
    return {
        "from": f"{r.span.start:%Y-%m-%d}", "to": f"{r.span.end:%Y-%m-%d}",
        "money": money,
        "money_whole_months": r.money.whole_months,
        "audience": Audience(
            start=r.audience.start, end=r.audience.end, net=r.audience.net,
            partial=r.audience.partial, channels=[ChannelAudience(
                id=c.channel_id, name=c.name, network=c.network, start=c.start, end=c.end,
                net=c.net, partial=c.partial,
                first_day=f"{c.first_day:%Y-%m-%d}" if c.first_day else None, joins=c.joins,
                leaves=c.leaves, demographics=c.demographics,
                demographics_reading=Demographics(
                    period_from=f"{c.mix.period_from:%Y-%m-%d}",
                    period_to=f"{c.mix.period_to:%Y-%m-%d}", basis=c.mix.basis, sex=c.mix.sex,
                    age=c.mix.age, cities=c.mix.cities) if c.mix else None)
                for c in r.audience.channels]),
        "engagement": Engagement(
            posts=len(e.posts), views=e.views, reach=e.reach, likes=e.likes,
            comments=e.comments, reposts=e.reposts, er=_ratio(e.er), err=_ratio(e.err),
            er_formula=str(ER_FORMULA), err_formula=str(ERR_FORMULA),
            missing=[Missing(network=m.network, metric=m.metric, reason=m.reason)
                     for m in e.missing]),
        "reviews": Reviews(
            positive=sum(s.sentiment.positive), neutral=sum(s.sentiment.neutral),
            negative=sum(s.sentiment.negative), answered=s.sla.answered,
            median_first_response_minutes=_ratio(s.sla.median_minutes),
            within_target=_ratio(s.sla.within_target)),
        "forecast": [Target(
            month=f"{t.month:%Y-%m}", metric=t.metric, label=t.label, source=t.source,
            target=_money(t.target), low=_money(t.low), high=_money(t.high),
            actual=_money(t.actual), projection=_money(t.projection), method=t.method,
            deviation=_ratio(t.deviation), colour=t.colour) for t in r.forecast.rows
            if with_costs or t.metric != TargetMetric.BUDGET],
        "best_time": [[HeatCell(posts=c.posts, err=_ratio(c.err)) for c in row]
                      for row in r.content.heatmap.cells],
        "previous": previous, "year_before": year_before,
    }


def _no_costs(h: HeadlineOut | None) -> HeadlineOut | None:
    return None if h is None else h.model_copy(update={"costs": None, "profit": None, "romi": None})


@router.get("/workspaces/{uuid:workspace_id}/results", response=ResultsOut, by_alias=True,
            operation_id="getResults", url_name="getResults",
            summary=gettext_lazy("A client's results for a period: money, audience, reach and "
                                 "engagement, reviews, forecast vs actual"),
            tags=["results"])
def get_results(request: HttpRequest, workspace_id: uuid.UUID, period: Query[Range]) -> Any:
    call = caller(request)
    workspace = workspace_for(call, workspace_id)
    query = {k: v for k, v in (("from", period.start), ("to", period.end)) if v}
    span = Span.from_query(query, workspace.organisation.timezone)
    return as_json(collect(workspace, span.start, span.end),
                   with_costs=call.membership.sees_costs)
