"""Surge alerts (once per channel per day) and the review charts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from kosmmos.channels.models import Channel
from kosmmos.conftest import World, client_for
from kosmmos.inbox.analytics import daily_sentiment, detect_surges, is_surge, sentiment_chart
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
    assert len(mail.outbox) == 1 and "Alpha VK" in mail.outbox[0].subject
    assert set(mail.outbox[0].to) == set(world.alpha.org.lead_recipients())
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
