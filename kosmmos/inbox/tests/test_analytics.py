"""Surge alerts (once per channel per day) and the review charts."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone, translation

from kosmmos.channels.models import Channel
from kosmmos.conftest import World, client_for
from kosmmos.inbox.analytics import (
    WeekShare,
    daily_response_times,
    daily_sentiment,
    detect_surges,
    fit_weeks,
    is_surge,
    weekly_negative_share,
)
from kosmmos.inbox.charts import negative_share_chart, response_time_chart, sentiment_chart
from kosmmos.inbox.models import Item, SurgeAlert
from kosmmos.inbox.testing import make_item

pytestmark = pytest.mark.django_db


def test_it_flags_only_real_surges() -> None:
    assert is_surge(5, [0] * 14)[0]
    assert not is_surge(4, [0] * 14)[0]  # fewer than five is never a surge
    assert not is_surge(9, [5, 6, 4, 7, 5, 6, 5, 4, 6, 5, 9, 2, 8, 3])[0]
    assert is_surge(30, [5, 6, 4, 7, 5, 6, 5, 4, 6, 5, 9, 2, 8, 3])[0]


def test_it_alerts_a_negative_surge_once_per_channel_per_day(world: World, vk: Channel) -> None:
    now = timezone.now()
    for day in range(1, 15):
        make_item(vk, "meh", sentiment="negative", received_at=now - timedelta(days=day))
    for i in range(8):
        make_item(vk, f"ужас {i}", sentiment="negative", received_at=now)
    mail.outbox.clear()
    assert detect_surges() == 1
    assert detect_surges() == 0
    alert = SurgeAlert.objects.get()
    assert (alert.negatives, alert.mean, alert.channel) == (8, 1.0, vk)
    # The surge is an urgent event: every agency member is emailed through the notifications.
    assert all("Alpha VK" in m.subject for m in mail.outbox)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(world.alpha.staff_emails)
    page = client_for(world.alpha.manager).get("/inbox/").content.decode()
    assert "Negative surge today" in page or "Всплеск" in page


def test_it_charts_sentiment_by_day(world: World, vk: Channel) -> None:
    make_item(vk, "a", sentiment="positive")
    make_item(vk, "b", sentiment="negative")
    make_item(vk, "c", sentiment="negative", received_at=timezone.now() - timedelta(days=1))
    series = daily_sentiment(Item.objects.all(), days=7)
    assert (series.positive[-1], series.negative[-1], series.negative[-2]) == (1, 1, 1)
    assert series.negative_share() == pytest.approx(2 / 3)
    svg = sentiment_chart(series, "<title>")
    assert svg.startswith("<svg") and "&lt;title&gt;" in svg


def test_it_counts_labelled_items_with_plural_forms(world: World, vk: Channel) -> None:
    page = f"/workspaces/{vk.workspace_id}/inbox/analytics/"
    seen: dict[tuple[str, int], str] = {}
    for total in (1, 2, 5, 21):
        while Item.objects.filter(workspace=vk.workspace, sentiment_manual=True).count() < total:
            make_item(vk, "плохо", sentiment="negative", sentiment_manual=True,
                      external_id=f"l{Item.objects.count()}")
        for language in ("ru", "en"):
            seen[language, total] = client_for(world.alpha.manager, language=language).get(
                page).content.decode()

    assert "1 item labelled by managers (at least 20 needed)." in seen["en", 1]
    assert "21 items labelled by managers" in seen["en", 21]
    assert "1 сообщение размечено менеджерами (нужно не меньше 20)." in seen["ru", 1]
    assert "2 сообщения размечены менеджерами" in seen["ru", 2]
    assert "5 сообщений размечено менеджерами" in seen["ru", 5]
    assert "21 сообщение размечено менеджерами" in seen["ru", 21]


def test_it_labels_a_small_days_axis_in_whole_comments(world: World, vk: Channel) -> None:
    for i in range(5):
        make_item(vk, f"c{i}", sentiment="negative")
    svg = sentiment_chart(daily_sentiment(Item.objects.all(), days=7), "t")
    assert ">1.25<" not in svg and ">2<" in svg and ">8<" in svg
    assert "негатив 5" in svg or "negative 5" in svg  # the day's tooltip


def test_it_charts_the_weekly_share_of_negatives(world: World, vk: Channel) -> None:
    now = timezone.now()
    make_item(vk, "a", sentiment="negative", received_at=now)
    make_item(vk, "b", sentiment="positive", received_at=now)
    make_item(vk, "c", sentiment="neutral", received_at=now - timedelta(weeks=2))
    make_item(vk, "future", sentiment="negative", received_at=now + timedelta(weeks=3))
    weeks = weekly_negative_share(Item.objects.all(), weeks=4)
    # The span starts at the first week with comments (two weeks ago), not four weeks back.
    assert [(w.total, w.negative) for w in weeks] == [(1, 0), (0, 0), (2, 1)]
    assert [w.share for w in weeks] == [0.0, None, 0.5]
    assert weeks[-1].start.weekday() == 0 and weeks[-1].start <= timezone.localdate()
    with translation.override("en"):  # not whatever language an earlier test left active
        svg = negative_share_chart(weeks, "<share>")
    assert "&lt;share&gt;" in svg and ">60%<" in svg and "1 of 2 negative" in svg
    # A week without comments breaks the line rather than drawing it through zero.
    assert svg.count("<circle") == 2 and "<polyline" not in svg
    assert svg.count(">" + f"{weeks[0].start:%d.%m}" + "<") == 1  # the first label: its data
    assert "No comments yet." not in svg
    with translation.override("en"):
        assert "No comments yet." in negative_share_chart(weekly_negative_share(
            Item.objects.none(), weeks=4), "t")


def _week(day: int, total: int, negative: int = 0) -> WeekShare:
    return WeekShare(date(2026, 11, day), total, negative)


def test_it_fits_a_weekly_span_to_its_data() -> None:
    empty, one, two = _week(2, 0), _week(9, 3, 1), _week(23, 4)
    assert fit_weeks([empty, one, _week(16, 0), two, _week(30, 0)]) == [one, _week(16, 0), two]
    assert fit_weeks([_week(2, 0), _week(9, 0), one]) == [one]  # only the week with data
    assert fit_weeks([one, _week(16, 0)]) == [one]  # no empty week after the last
    assert fit_weeks([_week(2, 0), _week(9, 0)]) == [] == fit_weeks([])


def test_it_charts_first_response_times_against_the_target(world: World, vk: Channel) -> None:
    # Local noon: the day buckets are local days, whatever the hour the suite runs at.
    now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    make_item(vk, "fast", received_at=now - timedelta(minutes=40),
              first_response_at=now - timedelta(minutes=30))
    make_item(vk, "slow", received_at=now - timedelta(days=1, minutes=200),
              first_response_at=now - timedelta(days=1))
    make_item(vk, "unanswered", received_at=now - timedelta(minutes=5))
    days = daily_response_times(Item.objects.all(), days=3)
    assert [(d.answered, d.median_minutes) for d in days] == [(0, None), (1, 200.0), (1, 10.0)]
    svg = response_time_chart(days, 60, "t")
    assert svg.count('fill="#ef4444"') == 1 and svg.count('fill="#6366f1"') == 1
    assert "60" in svg and "No answers yet." not in svg
    assert "No answers yet." in response_time_chart(daily_response_times(
        Item.objects.none(), days=3), 60, "t")


def test_it_shows_the_review_charts_and_holds_retraining_until_enough_labels(
        world: World, vk: Channel) -> None:
    make_item(vk, "плохо", sentiment="negative", sentiment_manual=True)
    page = client_for(world.alpha.manager, language="en").get(
        f"/workspaces/{vk.workspace_id}/inbox/analytics/").content.decode()
    assert "Share of negatives by week" in page and "First response time by day" in page
    assert page.count("<svg") >= 3
    assert "disabled" in page.split("Retrain on our items")[0].rsplit("<button", 1)[1]


def test_it_explains_what_the_pipeline_dropped(world: World, vk: Channel) -> None:
    from kosmmos.inbox.analytics import DROP_REASONS
    from kosmmos.inbox.models import DropCount

    for reason in ("own_message", "something_new"):
        DropCount.objects.create(scope=str(vk.pk), organisation=world.alpha.org,
                                 day=timezone.localdate(), step="parse", reason=reason, count=3)
    page = client_for(world.alpha.manager, language="en").get(
        f"/workspaces/{vk.workspace_id}/inbox/analytics/").content.decode()
    assert "Our own posts and answers (not customers&#x27; messages)" in page
    assert "parse/own_message" in page and "something_new" in page  # unknown codes as they are
    # Every reason the networks' inbound sides and the pipeline can give has its explanation.
    inbox = Path(__file__).resolve().parents[1]
    connectors = inbox.parent / "connectors"
    files = [inbox / "pipeline.py", connectors / "base.py", connectors / "payload.py",
             *sorted(connectors.glob("*/inbound.py"))]
    source = "".join(path.read_text() for path in files)
    codes = set(re.findall(r'Drop\("([a-z_]+)"', source)) | set(
        re.findall(r'run\.drop\([^,]+, "[a-z]+", "([a-z_]+)"', source))
    assert codes and codes <= set(DROP_REASONS), codes - set(DROP_REASONS)


def test_it_raises_an_overdue_comment_once(world: World, vk: Channel) -> None:
    from kosmmos.inbox.analytics import detect_overdue
    from kosmmos.notifications.models import Event

    late = make_item(vk, "Где мой заказ?", received_at=timezone.now() - timedelta(hours=3))
    make_item(vk, "Свежий вопрос", received_at=timezone.now())
    assert detect_overdue() == 1 and detect_overdue() == 0
    event = Event.objects.get(kind="comment.overdue")
    assert event.url == f"/inbox/items/{late.pk}/" and "Где мой заказ?" in event.body
