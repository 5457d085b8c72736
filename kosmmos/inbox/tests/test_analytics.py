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
