"""The monthly client reports' figures: the results page's, copied into the sections reports
declares (``kosmmos.reports.figures``). ``ResultsConfig.ready`` registers ``sections`` as the
reports' provider, so a report and the results page of the same period show one computation —
``figures.collect`` — and never two that could drift apart.

Nothing is computed here: every value is a field or property of ``figures.Results``, re-shaped
(Decimals stay Decimals, dates become the report's display strings)."""

from __future__ import annotations

from datetime import date

from kosmmos.accounts.models import Workspace
from kosmmos.reports import figures as report
from kosmmos.results import figures
from kosmmos.results.figures import PostFigures, Results

TOP_POSTS = 5


def sections(workspace: Workspace, start: date, end: date) -> report.Sections:
    """The report's figure sections for ``start`` … ``end``: ``figures.collect`` for the same
    period (the whole client: reports are not filtered by network or channel; no comparison and
    no best-time heatmap, which a report does not show)."""
    return adapt(figures.collect(workspace, start, end, compare=False, detail=False))


def adapt(r: Results) -> report.Sections:
    return report.Sections(money=money(r), audience=audience(r), engagement=engagement(r),
                           content=content(r), reviews=reviews(r), forecast=forecast(r))


def money(r: Results) -> report.Money:
    f = r.money.figures
    return report.Money(
        revenue=f.revenue, costs=f.costs, profit=f.profit, clicks=f.clicks,
        conversions=f.conversions, purchases=f.purchases, romi=f.romi, cpa=f.cpa,
        average_check=f.average_check, profit_per_check=f.profit_per_check,
        months=[{"month": m.month.isoformat(), "revenue": m.revenue, "costs": m.costs,
                 "profit": m.profit} for m in f.months],
        whole_months=r.money.whole_months, months_start=r.money.months.start,
        months_end=r.money.months.end)


def audience(r: Results) -> report.Audience:
    a = r.audience
    return report.Audience(
        followers_start=a.start, followers_end=a.end, growth=a.net,
        channels=[report.ChannelAudience(c.name, c.network, c.start, c.end, c.net, c.partial)
                  for c in a.channels],
        days=[(day.isoformat(), n) for day, n in zip(a.days, a.followers, strict=True)
              if n is not None],
        partial=a.partial)


def engagement(r: Results) -> report.Engagement:
    e = r.engagement
    return report.Engagement(posts=len(e.posts), views=e.views, reach=e.reach, likes=e.likes,
                             comments=e.comments, reposts=e.reposts, er=e.er, err=e.err,
                             engagements=e.engagements)


def _post(p: PostFigures, r: Results) -> report.TopPost:
    return report.TopPost(
        title=p.title, channel=p.channel,
        published_at=p.published_at.astimezone(r.span.tz).strftime("%d.%m.%Y %H:%M"),
        views=p.views, reach=p.reach, likes=p.likes, comments=p.comments, reposts=p.reposts,
        err=p.err)


def content(r: Results) -> report.Content:
    return report.Content(posts=len(r.engagement.posts),
                          top=[_post(p, r) for p in r.content.top_err[:TOP_POSTS]])


def reviews(r: Results) -> report.Reviews:
    s, sla = r.reviews.sentiment, r.reviews.sla
    return report.Reviews(
        total=sum(s.totals), positive=sum(s.positive), neutral=sum(s.neutral),
        negative=sum(s.negative), negative_share=s.negative_share(), answered=sla.answered,
        median_minutes=sla.median_minutes, within_target=sla.within_target,
        target_minutes=sla.target_minutes,
        days=[(d.isoformat(), p, u, n) for d, p, u, n in zip(
            s.days, s.positive, s.neutral, s.negative, strict=True)])


def forecast(r: Results) -> report.Forecast:
    return report.Forecast([report.ForecastRow(
        metric=row.metric, month=row.month.isoformat(), target=row.target, actual=row.actual,
        low=row.low, high=row.high, deviation=row.deviation, projection=row.projection,
        colour=row.colour) for row in r.forecast.rows])
