"""A small client history for the results tests: one VK and one Telegram channel, posts with
statistics readings, daily followers, tracked links with clicks, conversions, costs, comments and
monthly targets — all in November 2026 (Europe/Moscow), "today" being 20 November."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kosmmos.conftest import World

TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _results_settings(settings: Any, tmp_path: Path) -> None:
    settings.LINKS_EVENTS_PATH = tmp_path / "events.sqlite3"
    settings.LINKS_SPOOL_DIR = tmp_path / "spool"
    settings.LINKS_BASE_URL = "http://go.kosmmos.test"


@dataclass
class History:
    workspace: Any
    vk: Any
    tg: Any
    targets: list[Any]


def msk(*args: int) -> datetime:
    import zoneinfo

    return datetime(*args, tzinfo=zoneinfo.ZoneInfo("Europe/Moscow"))  # type: ignore[misc]


def make_history(world: World, *, links: bool = True) -> History:
    from kosmmos.channels.models import Channel, ChannelStatsSnapshot
    from kosmmos.content.models import Post, PostStatus, PostTarget, TargetStatus
    from kosmmos.inbox.models import Item, ItemStatus, Kind
    from kosmmos.links.events import Click, get_store
    from kosmmos.links.models import Conversion, CostEntry, TrackedLink
    from kosmmos.links.rollups import rollup_all
    from kosmmos.proposals.models import WorkspaceTarget
    from kosmmos.publishing.models import PostStatsSnapshot

    ws = world.alpha.client_workspace
    org = ws.organisation
    vk = Channel.objects.create(organisation=org, workspace=ws, network="vk", name="VK group",
                                external_id="1")
    tg = Channel.objects.create(organisation=org, workspace=ws, network="telegram",
                                name="TG channel", external_id="-1001")
    targets = []
    for i, (channel, day, hour, reach) in enumerate([
            (vk, 3, 19, 1000), (vk, 5, 19, 2000), (vk, 10, 12, 500), (vk, 12, 19, 4000),
            (tg, 4, 10, None), (vk, 25, 10, 800)]):  # the last: October, see below
        month = 11 if i < 5 else 10
        published = msk(2026, month, day, hour)
        post = Post.objects.create(organisation=org, workspace=ws, title=f"Post {i}",
                                   text=f"text {i}", status=PostStatus.PUBLISHED)
        t = PostTarget.objects.create(organisation=org, post=post, channel=channel,
                                      status=TargetStatus.PUBLISHED, published_at=published,
                                      external_id=str(100 + i))
        targets.append(t)
        # An early reading and a later one: the later one counts.
        for age, part in ((timedelta(hours=1), 0.5), (timedelta(days=2), 1.0)):
            PostStatsSnapshot.objects.create(
                organisation=org, target=t, taken_at=published + age,
                views=int((reach or 0) * 1.5 * part) if reach else None,
                reach=int(reach * part) if reach else None,
                likes=int((reach or 0) * 0.05 * part) if reach else None,
                comments=int((reach or 0) * 0.01 * part) if reach else None,
                reposts=int((reach or 0) * 0.004 * part) if reach else None)
    for d in range(1, 21):
        ChannelStatsSnapshot.objects.create(organisation=org, channel=vk,
                                            day=date(2026, 11, d), followers=1000 + 10 * d)
    for d in range(10, 21):  # the Telegram channel was connected on the 10th
        ChannelStatsSnapshot.objects.create(organisation=org, channel=tg,
                                            day=date(2026, 11, d), followers=500 + d)
    if links:
        link = TrackedLink.objects.create(organisation=org, workspace=ws, target_url="https://shop.test/",
                                          network="vk", post_ref=str(targets[1].post_id))
        get_store().append_clicks([
            Click(ws.pk, int(msk(2026, 11, 6, h).timestamp() * 1000), f"c{uuid.uuid4().hex[:12]}",
                  link.pk) for h in range(0, 24)] + [
            Click(ws.pk, int(msk(2026, 11, 7).timestamp() * 1000), "bot1", link.pk, is_bot=True)])
        rollup_all()
        for k, amount in enumerate(["3000", "5000", "0"]):
            Conversion.objects.create(
                organisation=org, workspace=ws, event_id=f"e{k}",
                kind="purchase" if amount != "0" else "registration", amount=Decimal(amount),
                occurred_at=msk(2026, 11, 7, 10 + k), source="postback", link=link)
    for category, amount in (("ad_spend", "4000"), ("content", "1000")):
        CostEntry.objects.create(organisation=org, workspace=ws, month=date(2026, 11, 1),
                                 category=category, amount=Decimal(amount))
    for k, sentiment in enumerate(["positive", "negative", "neutral", "negative"]):
        received = msk(2026, 11, 3 + k, 12)
        Item.objects.create(organisation=org, workspace=ws, channel=vk, network="vk",
                            kind=Kind.COMMENT, external_id=f"i{k}", author_ref=f"a{k % 3}",
                            text="t", sentiment=sentiment, status=ItemStatus.CLOSED,
                            received_at=received, first_response_at=received + timedelta(minutes=30))
    Item.objects.create(organisation=org, workspace=ws, channel=vk, network="vk", kind=Kind.JOIN,
                        external_id="j1", received_at=msk(2026, 11, 5, 12))
    for metric, value in (("reach", "20000"), ("subscribers", "100"), ("clicks", "30"),
                          ("leads", "10"), ("sales", "3"), ("budget", "5000")):
        WorkspaceTarget.objects.create(organisation=org, workspace=ws, month=date(2026, 11, 1),
                                       metric=metric, value=Decimal(value))
    return History(ws, vk, tg, targets)


@pytest.fixture
def history(world: World) -> History:
    return make_history(world)
