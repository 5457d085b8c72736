"""Each section of a report equals the results page (``results.figures.collect``) for the same
period: one test per section, read from the JSON a version stores."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured

from kosmmos.content.models import Post, PostStatus
from kosmmos.reports import figures
from kosmmos.reports.tests.conftest import MSK, Seeded
from kosmmos.results import figures as results
from kosmmos.results.figures import Results
from kosmmos.results.for_reports import sections


def _both(seeded: Seeded, section: str) -> tuple[Any, Results]:
    """The report's stored section and the results page's figures for the same period."""
    data = figures.collect(seeded.workspace, seeded.start, seeded.end, [section])
    return data[section], results.collect(seeded.workspace, seeded.start, seeded.end)


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def test_it_shows_the_results_pages_money(seeded: Seeded) -> None:
    got, page = _both(seeded, "money")
    f = page.money.figures
    assert [_dec(got[k]) for k in ("revenue", "costs", "profit", "cpa", "average_check")] == [
        f.revenue, f.costs, f.profit, f.cpa, f.average_check]
    assert (got["romi"], got["profit_per_check"]) == (f.romi, f.profit_per_check)
    assert (got["clicks"], got["conversions"], got["purchases"]) == (
        f.clicks, f.conversions, f.purchases)
    assert [(m["month"], _dec(m["revenue"]), _dec(m["costs"])) for m in got["months"]] == [
        (m.month.isoformat(), m.revenue, m.costs) for m in f.months]
    assert got["whole_months"] is page.money.whole_months is True
    assert _dec(got["revenue"]) == Decimal("75000.50")  # the seeded month, not an empty match


def test_it_shows_the_results_pages_audience(seeded: Seeded) -> None:
    got, page = _both(seeded, "audience")
    a = page.audience
    assert (got["followers_start"], got["followers_end"], got["growth"]) == (a.start, a.end, a.net)
    assert [(c["name"], c["start"], c["end"], c["growth"]) for c in got["channels"]] == [
        (c.name, c.start, c.end, c.net) for c in a.channels]
    assert [n for _day, n in got["days"]] == [n for n in a.followers if n is not None]
    assert (got["followers_start"], got["followers_end"]) == (1040, 1100)


def test_it_shows_the_results_pages_reach_and_engagement(seeded: Seeded) -> None:
    got, page = _both(seeded, "engagement")
    e = page.engagement
    assert got["posts"] == len(e.posts) == 2
    assert [got[k] for k in ("views", "reach", "likes", "comments", "reposts", "engagements")] == [
        e.views, e.reach, e.likes, e.comments, e.reposts, e.engagements]
    assert (got["er"], got["err"]) == (e.er, e.err)
    assert got["views"] == 8300 and got["err"] is not None


def test_it_shows_the_results_pages_top_posts(seeded: Seeded) -> None:
    got, page = _both(seeded, "content")
    assert got["posts"] == len(page.engagement.posts)
    assert [(p["title"], p["views"], p["reach"], p["err"]) for p in got["top"]] == [
        (p.title, p.views, p.reach, p.err) for p in page.content.top_err]
    assert [p["title"] for p in got["top"]] == ["Пост 1", "Пост 2"]
    assert got["top"][0]["published_at"] == "05.10.2026 12:00"  # the organisation's zone


def test_it_shows_the_results_pages_reviews(seeded: Seeded) -> None:
    got, page = _both(seeded, "reviews")
    s, sla = page.reviews.sentiment, page.reviews.sla
    assert (got["total"], got["positive"], got["neutral"], got["negative"]) == (
        sum(s.totals), sum(s.positive), sum(s.neutral), sum(s.negative)) == (4, 2, 1, 1)
    assert got["negative_share"] == s.negative_share()
    assert (got["answered"], got["median_minutes"], got["within_target"],
            got["target_minutes"]) == (sla.answered, sla.median_minutes, sla.within_target,
                                       sla.target_minutes)
    assert [tuple(d) for d in got["days"]] == [
        (d.isoformat(), p, u, n) for d, p, u, n in zip(s.days, s.positive, s.neutral, s.negative,
                                                        strict=True)]


def test_it_shows_the_results_pages_forecast_vs_actual(seeded: Seeded) -> None:
    got, page = _both(seeded, "forecast")
    assert [(r["metric"], r["month"], _dec(r["target"]), _dec(r["actual"]),
             _dec(r["projection"]), r["deviation"], r["colour"]) for r in got["rows"]] == [
        (r.metric, r.month.isoformat(), r.target, r.actual, r.projection, r.deviation, r.colour)
        for r in page.forecast.rows]
    rows = {r["metric"]: r for r in got["rows"]}
    assert _dec(rows["leads"]["actual"]) == Decimal(3)


def test_it_lists_next_months_scheduled_posts_as_the_plan(seeded: Seeded) -> None:
    # Not a results figure: the posts scheduled for the month after the period.
    when = datetime(2026, 11, 3, 10, tzinfo=MSK)
    Post.objects.create(organisation=seeded.workspace.organisation, workspace=seeded.workspace,
                        title="Ноябрьский анонс", text="…", status=PostStatus.SCHEDULED,
                        publish_at=when)
    Post.objects.create(organisation=seeded.workspace.organisation, workspace=seeded.workspace,
                        title="Декабрь", text="…", status=PostStatus.SCHEDULED,
                        publish_at=when + timedelta(days=40))
    got = figures.collect(seeded.workspace, seeded.start, seeded.end, ["plan"])["plan"]
    assert (got["start"], got["end"]) == ("2026-11-01", "2026-11-30")
    assert [p["title"] for p in got["posts"]] == ["Ноябрьский анонс"]


def test_it_computes_every_section_in_one_results_call(seeded: Seeded) -> None:
    with mock.patch.object(results, "collect", wraps=results.collect) as collect:
        data = figures.collect(seeded.workspace, seeded.start, seeded.end)
    assert collect.call_count == 1
    assert set(data) == {"money", "audience", "engagement", "content", "reviews", "forecast",
                         "plan"}
    assert data == {**figures.to_json(vars(sections(seeded.workspace, seeded.start,
                                                   seeded.end))), "plan": data["plan"]}


def test_it_reads_nothing_for_a_template_without_figures(seeded: Seeded) -> None:
    with mock.patch.object(results, "collect") as collect:
        assert figures.collect(seeded.workspace, seeded.start, seeded.end, []) == {}
    collect.assert_not_called()


def test_it_says_so_when_no_provider_is_registered(seeded: Seeded) -> None:
    with mock.patch.object(figures, "_provider", []), pytest.raises(ImproperlyConfigured):
        figures.collect(seeded.workspace, seeded.start, seeded.end, ["money"])


def test_it_leaves_out_what_happened_after_the_period(seeded: Seeded) -> None:
    later = figures.collect(seeded.workspace, seeded.end + timedelta(days=1),
                            seeded.end + timedelta(days=30), ["reviews"])["reviews"]
    assert later["total"] == 0
