"""A workspace with a month of every kind of figure a report shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kosmmos.accounts.models import Workspace
from kosmmos.channels.models import ChannelStatsSnapshot
from kosmmos.conftest import World
from kosmmos.inbox.testing import make_channel, make_item, make_target
from kosmmos.links.models import Conversion, ConversionKind, ConversionSource, CostCategory, CostEntry
from kosmmos.proposals.models import TargetMetric, WorkspaceTarget
from kosmmos.publishing.models import PostStatsSnapshot

MONTH = date(2026, 10, 1)
END = date(2026, 10, 31)
MSK = ZoneInfo("Europe/Moscow")


@dataclass
class Seeded:
    workspace: Workspace
    start: date
    end: date


def seed_month(workspace: Workspace, month: date = MONTH) -> Seeded:
    org = workspace.organisation
    end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    channel = make_channel(workspace, "vk", f"club-{workspace.pk.hex[:6]}", name="ВК Магазин")
    for i, followers in enumerate((1000, 1040, 1100)):
        day = month - timedelta(days=1) if i == 0 else (month + timedelta(days=14) if i == 1 else end)
        ChannelStatsSnapshot.objects.create(organisation=org, channel=channel, day=day,
                                            followers=followers)
    for n, (views, reach, likes) in enumerate(((5200, 4100, 120), (3100, 2500, 40))):
        target = make_target(channel, f"p{n}-{workspace.pk.hex[:6]}", title=f"Пост {n + 1}")
        target.published_at = datetime(month.year, month.month, 5 + n, 12, tzinfo=MSK)
        target.save(update_fields=["published_at"])
        for hours, share in ((1, 2), (30, 1)):  # an early reading, then the latest one
            PostStatsSnapshot.objects.create(
                organisation=org, target=target, taken_at=target.published_at + timedelta(hours=hours),
                views=views // share, reach=reach // share, likes=likes // share,
                comments=10 // share, reposts=4 // share)
    moment = datetime(month.year, month.month, 10, 15, tzinfo=MSK)
    for n, (kind, amount) in enumerate(((ConversionKind.PURCHASE, "45000.50"),
                                        (ConversionKind.PURCHASE, "30000"),
                                        (ConversionKind.REGISTRATION, "0"))):
        Conversion.objects.create(organisation=org, workspace=workspace, event_id=f"e{n}",
                                  kind=kind, amount=Decimal(amount), occurred_at=moment,
                                  source=ConversionSource.choices[0][0])
    CostEntry.objects.create(organisation=org, workspace=workspace, month=month,
                             category=CostCategory.AD_SPEND, amount=Decimal("20000"))
    CostEntry.objects.create(organisation=org, workspace=workspace, month=month,
                             category=CostCategory.choices[-1][0], amount=Decimal("12345.67"))
    for n, sentiment in enumerate(("positive", "positive", "negative", "neutral")):
        received = datetime(month.year, month.month, 12, 10 + n, tzinfo=MSK)
        make_item(channel, f"Отзыв {n}", sentiment=sentiment, received_at=received,
                  first_response_at=received + timedelta(minutes=20 + 10 * n))
    WorkspaceTarget.objects.create(organisation=org, workspace=workspace, month=month,
                                   metric=TargetMetric.LEADS, value=Decimal("5"),
                                   low=Decimal("2"), high=Decimal("8"))
    WorkspaceTarget.objects.create(organisation=org, workspace=workspace, month=month,
                                   metric=TargetMetric.SUBSCRIBERS, value=Decimal("150"))
    return Seeded(workspace, month, end)


@pytest.fixture
def seeded(world: World) -> Seeded:
    return seed_month(world.alpha.client_workspace)
