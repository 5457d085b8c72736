"""Each section's figures equal the computation that owns them, for the same period."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from kosmmos.inbox import analytics
from kosmmos.inbox.models import Item
from kosmmos.links import stats
from kosmmos.reports import figures
from kosmmos.reports.tests.conftest import MSK, Seeded


def test_it_takes_money_from_the_pnl(seeded: Seeded) -> None:
    got = figures.money(seeded.workspace, seeded.start, seeded.end)
    pnl = stats.pnl(seeded.workspace, stats.Period(seeded.start, seeded.start, MSK))
    assert (got.revenue, got.costs, got.profit) == (pnl.revenue, pnl.costs, pnl.profit)
    assert (got.romi, got.cpa, got.average_check) == (pnl.romi, pnl.cpa, pnl.average_check)
    assert got.revenue == Decimal("75000.50") and got.costs == Decimal("32345.67")


def test_it_counts_followers_at_both_ends_of_the_period(seeded: Seeded) -> None:
    got = figures.audience(seeded.workspace, seeded.start, seeded.end)
    assert (got.followers_start, got.followers_end, got.growth) == (1000, 1100, 100)
    assert got.channels[0].growth == 100


def test_it_sums_the_latest_reading_of_each_post(seeded: Seeded) -> None:
    got = figures.engagement(seeded.workspace, seeded.start, seeded.end)
    assert (got.posts, got.views, got.reach, got.likes) == (2, 8300, 6600, 160)
    assert got.err == round((160 + 20 + 8) / 6600 * 100, 2)
    assert got.er == round((160 + 20 + 8) / 1100 * 100, 2)
    top = figures.content(seeded.workspace, seeded.start, seeded.end).top
    assert [p.title for p in top] == ["Пост 1", "Пост 2"]


def test_it_takes_reviews_from_the_inbox_analytics(seeded: Seeded) -> None:
    got = figures.reviews(seeded.workspace, seeded.start, seeded.end)
    assert (got.total, got.positive, got.negative, got.neutral) == (4, 2, 1, 1)
    items = Item.objects.filter(workspace=seeded.workspace)
    with timezone.override(MSK):
        days = (timezone.localdate() - seeded.start).days + 2
        sla = analytics.sla_summary(items, got.target_minutes, days=days)
    assert (got.answered, got.median_minutes) == (sla.answered, sla.median_minutes) == (4, 35)


def test_it_compares_targets_with_their_sources(seeded: Seeded) -> None:
    rows = {r.metric: r for r in figures.forecast(seeded.workspace, seeded.start,
                                                  seeded.end).rows}
    assert rows["leads"].actual == Decimal(3) and rows["leads"].within_band is True
    assert rows["leads"].deviation == -40.0
    assert rows["subscribers"].actual == Decimal(100)


def test_it_leaves_out_what_happened_after_the_period(seeded: Seeded) -> None:
    later = figures.reviews(seeded.workspace, seeded.end + timedelta(days=1),
                            seeded.end + timedelta(days=30))
    assert later.total == 0


def test_it_stores_figures_as_json(seeded: Seeded) -> None:
    data = figures.collect(seeded.workspace, seeded.start, seeded.end)
    assert data["money"]["revenue"] == "75000.50"
    assert set(data) == {"money", "audience", "engagement", "content", "reviews", "forecast",
                         "plan"}
