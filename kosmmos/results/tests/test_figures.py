"""The results figures equal the figures of the pages that own them (the P&L, the post and
channel stats pages, the inbox analytics), for the same period: one test per family."""

from __future__ import annotations

import zoneinfo
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kosmmos.conftest import World, client_for
from kosmmos.results.figures import collect
from kosmmos.results.periods import Span
from kosmmos.results.tests.conftest import TODAY, History

pytestmark = pytest.mark.django_db
NOV = (date(2026, 11, 1), date(2026, 11, 30))
MSK = zoneinfo.ZoneInfo("Europe/Moscow")


def test_it_takes_the_money_figures_from_the_pnl(history: History) -> None:
    from kosmmos.links import stats

    results = collect(history.workspace, *NOV, today=TODAY)
    pnl = stats.pnl(history.workspace, stats.Period(date(2026, 11, 1), date(2026, 11, 1), MSK))
    mine = results.money.figures
    for name in ("revenue", "costs", "profit", "clicks", "bot_clicks", "conversions", "purchases",
                 "romi", "roi", "cpa", "average_check", "profit_per_check", "attributed_revenue"):
        assert getattr(mine, name) == getattr(pnl, name), name
    assert (mine.revenue, mine.costs, mine.clicks, mine.purchases) == (
        Decimal("8000.00"), Decimal("5000.00"), 24, 2)
    assert mine.romi == pytest.approx(60.0)
    assert results.money.whole_months and not results.money.for_whole_client


def test_it_shows_the_pnl_figures_on_the_page_as_the_pnl_page_does(history: History,
                                                                    world: World) -> None:
    browser = client_for(world.alpha.owner)
    ws = history.workspace.pk
    mine = browser.get(f"/workspaces/{ws}/results/?month=2026-11").content.decode()
    pnl = browser.get(f"/workspaces/{ws}/money/?from=2026-11&to=2026-11").content.decode()

    def figure(html: str, key: str) -> str:
        part = html.split(f'id="fig-{key}"', 1)[1]
        return part.split('<div class="', 3)[2].split(">", 1)[1].split("<", 1)[0]

    for key in ("revenue", "costs", "profit", "average-check", "profit-per-check"):
        assert figure(mine, key) == figure(pnl, key), key


def test_it_says_money_covers_whole_months_for_a_custom_range(history: History) -> None:
    results = collect(history.workspace, date(2026, 11, 5), date(2026, 11, 12), today=TODAY)
    assert not results.money.whole_months
    assert results.money.months.start == results.money.months.end == date(2026, 11, 1)
    assert results.money.figures.revenue == Decimal("8000.00")


def test_it_reads_each_posts_newest_statistics_as_its_stats_page_does(history: History,
                                                                       world: World) -> None:
    results = collect(history.workspace, *NOV, today=TODAY)
    e = results.engagement
    assert len(e.posts) == 5  # four VK and one Telegram post in November; October's is not
    assert e.reach == 1000 + 2000 + 500 + 4000
    assert e.likes == 50 + 100 + 25 + 200
    # The post's stats page shows the same newest reading.
    browser = client_for(world.alpha.owner)
    page = browser.get(f"/publishing/posts/{history.targets[3].post_id}/stats/")
    assert page.status_code == 200
    assert page.context["blocks"][0]["last"].reach == 4000
    # ERR over the posts with reach; ER per post over the followers at the end.
    engaged = sum(p.engagements or 0 for p in e.posts)
    assert e.err == pytest.approx(engaged / 7500 * 100)
    assert e.followers == 1200 + 520
    assert e.er == pytest.approx(engaged / 5 / 1720 * 100)


def test_it_says_telegram_gives_no_post_views_instead_of_a_zero(history: History) -> None:
    results = collect(history.workspace, *NOV, networks=["telegram"], today=TODAY)
    assert results.engagement.views is None and results.engagement.reach is None
    missing = {(m.network, m.metric) for m in results.engagement.missing}
    assert ("telegram", "views") in missing and ("telegram", "reach") in missing
    assert results.money.for_whole_client


def test_it_counts_followers_as_the_channel_page_does_and_labels_a_partial_channel(
        history: History) -> None:
    from kosmmos.publishing.views import channel_stats_context

    results = collect(history.workspace, *NOV, today=TODAY)
    by_network = {c.network: c for c in results.audience.channels}
    vk, tg = by_network["vk"], by_network["telegram"]
    days = {d.day: d.followers for d in channel_stats_context(history.vk)["days"]}
    assert (vk.start, vk.end) == (days[date(2026, 11, 1)], days[date(2026, 11, 20)])
    assert vk.net == 190 and not vk.partial
    assert tg.partial and tg.first_day == date(2026, 11, 10) and tg.net == 10
    assert vk.joins == 1 and tg.joins is None  # Telegram does not report them one by one
    # Growth is per channel: the Telegram channel's 510 followers on connection are not growth.
    assert results.audience.net == 200
    assert results.audience.growth(date(2026, 11, 1), date(2026, 11, 30)) == 200


def test_it_takes_the_reviews_from_the_inbox_analytics(history: History) -> None:
    from kosmmos.inbox import analytics
    from kosmmos.inbox.models import Item

    results = collect(history.workspace, *NOV, today=TODAY)
    items = Item.objects.filter(workspace=history.workspace)
    with timezone.override(MSK):
        same = analytics.daily_sentiment(items, 30, end=date(2026, 11, 30))
    assert results.reviews.sentiment == same
    assert sum(same.negative) == 2 and sum(same.positive) == 1
    assert results.reviews.sla.answered == 4 and results.reviews.sla.median_minutes == 30
    assert results.reviews.authors == 3


def test_it_compares_with_the_previous_period_and_a_year_before(history: History) -> None:
    results = collect(history.workspace, *NOV, today=TODAY)
    assert results.span.previous() == Span(date(2026, 10, 1), date(2026, 10, 31), MSK)
    assert results.span.year_before() == Span(date(2025, 11, 1), date(2025, 11, 30), MSK)
    assert results.previous is not None and results.previous.reach == 800  # October's post
    assert results.year_before is not None and results.year_before.revenue == 0


def test_it_draws_the_best_time_from_the_clients_history(history: History) -> None:
    results = collect(history.workspace, *NOV, today=TODAY)
    heat = results.content.heatmap
    assert heat.posts == 6  # a year back: October's post too
    assert heat.cells[1][19].posts == 1  # Tuesday 3 November, 19:00 Moscow
    assert all(c.faint for row in heat.cells for c in row)  # under 3 posts each
    assert heat.best() is None


def test_it_ranks_posts_by_err_and_by_revenue(history: History) -> None:
    results = collect(history.workspace, *NOV, today=TODAY)
    top = results.content.top_revenue[0]
    assert top.post_id == history.targets[1].post_id
    assert (top.clicks, top.revenue) == (24, Decimal("8000.00"))
    assert {g.name for g in results.content.by_network} == {"vk", "telegram"}


def test_it_projects_each_target_at_the_months_pace_and_names_its_source(history: History
                                                                       ) -> None:
    results = collect(history.workspace, *NOV, today=TODAY)
    rows = {r.metric: r for r in results.forecast.rows}
    share = 19.5 / 30  # noon of the 20th
    assert rows["clicks"].actual == 24
    assert rows["clicks"].projection == Decimal(round(24 / share))
    assert rows["clicks"].colour == "green"
    assert rows["reach"].actual == 7500 and rows["reach"].colour == "red"  # 11,538 of 20,000
    assert rows["subscribers"].actual == 200
    assert rows["budget"].projection == Decimal("5000.00") and rows["budget"].colour == "grey"
    assert "P&L" in rows["clicks"].source


def test_it_shows_no_data_source_never_a_zero(world: World) -> None:
    from kosmmos.results.tests.conftest import make_history

    h = make_history(world, links=False)
    results = collect(h.workspace, *NOV, today=TODAY)
    rows = {r.metric: r for r in results.forecast.rows}
    assert rows["clicks"].actual is None and rows["clicks"].projection is None
    assert rows["leads"].actual is None and rows["clicks"].colour == "grey"
    browser = client_for(world.alpha.owner)
    page = browser.get(f"/workspaces/{h.workspace.pk}/results/?month=2026-11").content.decode()
    assert "нет источника данных" in page


def test_it_keeps_the_period_honest_against_hostile_queries(history: History,
                                                            world: World) -> None:
    browser = client_for(world.alpha.owner)
    base = f"/workspaces/{history.workspace.pk}/results/"
    for query in ("month=9999-99", "from=garbage&to=2026-13-45", "from=2026-11-30&to=2026-11-01",
                  "channel=not-a-uuid&network=<script>", "month=1900-01", "from=2026-11-01" * 50,
                  "from=2000-01-01&to=2100-12-31", "network=vk&network=vk&channel=" + "0" * 32):
        answer = browser.get(f"{base}?{query}")
        assert answer.status_code == 200, query
    assert Span.from_query({"from": "2026-11-30", "to": "2026-11-01"}, "Europe/Moscow").days == 30
    assert Span.from_query({"from": "2000-01-01", "to": "2100-12-31"}, "Europe/Moscow").days <= 3 * 366


def test_it_keeps_other_agencies_out(history: History, world: World) -> None:
    outsider = client_for(world.beta.owner)
    ws = history.workspace.pk
    for path in ("", "posts/", "followers/", "targets/"):
        assert outsider.get(f"/workspaces/{ws}/results/{path}").status_code == 404
    assert outsider.post(f"/workspaces/{ws}/results/targets/", {"reach": "1"}).status_code == 404
    # The client sees their workspace's results, edits nothing.
    client = client_for(world.alpha.client)
    assert client.get(f"/workspaces/{ws}/results/?month=2026-11").status_code == 200
    assert client.post(f"/workspaces/{ws}/results/targets/", {"reach": "1"}).status_code in (
        403, 404)
    assert client.get("/results/").status_code == 404
    other = world.alpha.other_workspace.pk
    assert client.get(f"/workspaces/{other}/results/").status_code == 404


def test_it_lists_the_rows_behind_the_figures(history: History, world: World) -> None:
    browser = client_for(world.alpha.owner)
    ws = history.workspace.pk
    posts = browser.get(f"/workspaces/{ws}/results/posts/?month=2026-11")
    assert len(posts.context["rows"]) == 5
    followers = browser.get(f"/workspaces/{ws}/results/followers/?month=2026-11")
    assert len(list(followers.context["rows"])) == 20 + 11


def test_it_lists_clients_worst_pace_first(history: History, world: World) -> None:
    browser = client_for(world.alpha.owner)
    page = browser.get("/results/?month=2026-11")
    rows = page.context["rows"]
    assert rows[0]["workspace"].pk == history.workspace.pk  # the one with targets
    assert rows[0]["worst"] is not None
    assert browser.get("/results/?month=2026-11&sort=name").status_code == 200


def test_it_stays_fast_enough_in_queries(history: History, django_assert_max_num_queries: object
                                         ) -> None:
    with django_assert_max_num_queries(80):  # type: ignore[operator]
        collect(history.workspace, *NOV, today=TODAY)


def test_it_reads_a_period_from_the_query() -> None:
    today = date(2026, 11, 20)
    assert Span.from_query({}, "Europe/Moscow", today) == Span(date(2026, 11, 1),
                                                               date(2026, 11, 30), MSK)
    span = Span.from_query({"from": "2026-11-05", "to": "2026-11-12"}, "Europe/Moscow", today)
    assert (span.days, span.whole_months) == (8, False)
    assert span.previous() == Span(date(2026, 10, 28), date(2026, 11, 4), MSK)
    assert Span.from_query({"month": "2024-02"}, "Europe/Moscow").year_before().end == date(
        2023, 2, 28)
    assert span.start - timedelta(days=1) == span.previous().end


def test_it_sums_the_compared_periods_as_the_page_does(history: History) -> None:
    from kosmmos.channels.models import Channel
    from kosmmos.results.figures import headline_of

    october = collect(history.workspace, date(2026, 10, 1), date(2026, 10, 31), today=TODAY)
    november = collect(history.workspace, *NOV, today=TODAY)
    chosen = list(Channel.objects.filter(workspace=history.workspace).order_by("network", "name"))
    assert headline_of(history.workspace, october.span, chosen) == october.headline()
    assert headline_of(history.workspace, november.span, chosen) == november.headline()
    assert november.previous == october.headline()


def test_it_draws_the_same_best_time_from_the_database_and_from_a_years_posts(
        history: History) -> None:
    month = collect(history.workspace, *NOV, today=TODAY, compare=False)
    year = collect(history.workspace, date(2025, 12, 1), date(2026, 11, 30), today=TODAY,
                   compare=False)
    assert month.content.heatmap.since == year.content.heatmap.since
    grid = [[(c.posts, round(c.err, 6) if c.err is not None else None) for c in row]
            for row in month.content.heatmap.cells]
    assert grid == [[(c.posts, round(c.err, 6) if c.err is not None else None) for c in row]
                    for row in year.content.heatmap.cells]
    assert month.content.heatmap.posts == 6 and grid[1][19][1] is not None
