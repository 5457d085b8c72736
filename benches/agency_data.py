"""An agency at its real size, added to the demo agency with bulk inserts (not through the UI).

``grow_demo()`` gives the demo organisation 30 clients, 90 channels (VK, OK, Telegram per client),
20,000 posts over a year back and two months ahead (each published one with a target and a few
hourly stats snapshots), 100,000 inbox items (comments mostly, negatives and possible complaints
among them, the last days still open), 500 leads in every state, a year of daily follower counts
per channel and a few tracked links and costs per client. Channels get no inbox connection and no
stats schedule, and nothing is due in the next day, so a running worker leaves the data alone.
Run inside a set-up Django (``python -m benches.agency_data`` with KOSMMOS_VAR set).
"""

from __future__ import annotations

import random
import sys
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

CLIENTS = 30
CHANNELS_PER_CLIENT = 3
POSTS = 20_000
ITEMS = 100_000
LEADS = 500
STATS_DAYS = 365

WORDS = ["Спасибо", "Курьер опоздал", "Подскажите цену", "Отличный магазин", "Ужасное качество",
         "Класс", "Заказ пришёл", "Верните деньги", "Сколько стоит доставка", "Очень нравится",
         "Не работает промокод", "Где купить в Казани", "Супер", "Опять брак", "Жду продолжения"]


def grow_demo(scale: float = 1.0, seed: int = 7) -> dict[str, Any]:
    """Adds the agency-size data to the demo organisation; returns the ids the bench requests."""
    from kosmmos.accounts.models import Membership, Organisation, Role, User, Workspace
    from kosmmos.briefs.models import Brief, Lead, LeadStatus
    from kosmmos.channels.models import Channel, ChannelStatsSnapshot
    from kosmmos.content.models import Post, PostStatus, PostTarget, TargetStatus
    from kosmmos.demo.agency import DEMO_ORG
    from kosmmos.inbox.models import Item, ItemStatus
    from kosmmos.links.models import CostEntry, TrackedLink
    from kosmmos.publishing.models import PostStatsSnapshot

    rng = random.Random(seed)
    org = Organisation.objects.get(name=DEMO_ORG)
    owner = Membership.objects.filter(organisation=org, role=Role.OWNER).first()
    assert owner is not None
    managers = list(User.objects.filter(memberships__organisation=org,
                                         memberships__role__in=[Role.OWNER, Role.MANAGER]))
    now = timezone.now()
    n_posts, n_items, n_leads = int(POSTS * scale), int(ITEMS * scale), int(LEADS * scale)
    with transaction.atomic():
        workspaces = Workspace.objects.bulk_create([
            Workspace(organisation=org, name=f"Клиент {i:02d} — магазин", brand=f"Бренд {i:02d}",
                      description="Клиент агентства") for i in range(CLIENTS)])
        channels = Channel.objects.bulk_create([
            Channel(organisation=org, workspace=ws, network=network, name=f"{ws.brand} {network}",
                    external_id=f"{ws.pk.hex[:8]}-{network}", status="active",
                    followers=rng.randrange(2_000, 90_000))
            for ws in workspaces for network in ("vk", "ok", "telegram")[:CHANNELS_PER_CLIENT]])
        by_ws: dict[uuid.UUID, list[Any]] = {}
        for ch in channels:
            by_ws.setdefault(ch.workspace_id, []).append(ch)

        posts, targets = [], []
        span = timedelta(days=425).total_seconds()
        for i in range(n_posts):
            ws = workspaces[i % CLIENTS]
            # A year back to two months ahead; nothing due within the next day.
            at = now - timedelta(days=365) + timedelta(seconds=rng.random() * span)
            if now <= at < now + timedelta(days=1):
                at += timedelta(days=1)
            past = at < now
            status = (PostStatus.PUBLISHED if past else
                      rng.choice([PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.SCHEDULED]))
            post = Post(organisation=org, workspace=ws, author=owner.user, title=f"Пост {i}",
                        text=f"{rng.choice(WORDS)}: текст поста номер {i} о новинках и скидках.",
                        hashtags="#новинка", publish_at=at, status=status)
            posts.append(post)
            for ch in by_ws[ws.pk][: 1 + i % CHANNELS_PER_CLIENT]:
                targets.append(PostTarget(
                    organisation=org, post=post, channel=ch, publish_at=at,
                    status={PostStatus.PUBLISHED: TargetStatus.PUBLISHED,
                            PostStatus.SCHEDULED: TargetStatus.SCHEDULED}.get(status,
                                                                              TargetStatus.DRAFT),
                    published_at=at if past else None,
                    external_id=f"{ch.external_id}_{i}" if past else "",
                    url=f"https://vk.com/wall-1_{i}" if past else ""))
        Post.objects.bulk_create(posts, batch_size=2000)
        PostTarget.objects.bulk_create(targets, batch_size=2000)
        published = [t for t in targets if t.published_at]
        PostStatsSnapshot.objects.bulk_create([
            PostStatsSnapshot(organisation=org, target=t, taken_at=_hour(t.published_at, h), views=100 * h,
                likes=3 * h, comments=h, reposts=h // 2)
            for t in published for h in (1, 6, 24)], batch_size=5000)

        by_channel: dict[uuid.UUID, list[Any]] = {}
        for t in published:
            by_channel.setdefault(t.channel_id, []).append(t)
        items = []
        for i in range(n_items):
            ch = channels[i % len(channels)]
            target = rng.choice(by_channel[ch.pk]) if by_channel.get(ch.pk) else None
            at = now - timedelta(seconds=rng.random() * 365 * 86400)
            recent = now - at < timedelta(days=3)
            neg = rng.random()
            sentiment = "negative" if neg < 0.12 else "positive" if neg > 0.7 else "neutral"
            answered = not recent or rng.random() < 0.5
            items.append(Item(
                organisation=org, workspace_id=ch.workspace_id, channel=ch, network=ch.network,
                kind="comment", external_id=f"c{i}",
                post_ref=target.external_id if target else "", target=target,
                post_id=target.post_id if target else None,
                author_ref=f"id{rng.randrange(40_000)}", author_name=f"Покупатель {i % 997}",
                text=f"{rng.choice(WORDS)}, {rng.choice(WORDS).lower()} #{i}",
                sentiment=sentiment,
                scores={"negative": round(neg if sentiment != "negative" else 0.8, 3)},
                status=ItemStatus.OPEN if recent and not answered else ItemStatus.CLOSED,
                assignee=rng.choice(managers) if rng.random() < 0.3 else None,
                received_at=at, created_at=at,
                first_response_at=at + timedelta(minutes=rng.randrange(5, 300)) if answered else None,
                first_responder=rng.choice(managers) if answered else None,
                closed_at=at + timedelta(hours=6) if answered else None))
        Item.objects.bulk_create(items, batch_size=2000)

        briefs, leads = [], []
        statuses = list(LeadStatus)
        for i in range(n_leads):
            brief = Brief(organisation=org, networks=["vk", "telegram"], goals=["reach"],
                          product_type="permanent", budget_rub=Decimal(50_000 + 1000 * (i % 90)),
                          period_months=6, contact_name=f"Контакт {i}", company=f"Компания {i}",
                          email=f"lead{i}@example.ru", consent=True)
            briefs.append(brief)
            leads.append(Lead(organisation=org, brief=brief, title=f"Компания {i}",
                              status=statuses[i % len(statuses)],
                              assignee=rng.choice(managers) if i % 3 else None))
        Brief.objects.bulk_create(briefs, batch_size=1000)
        Lead.objects.bulk_create(leads, batch_size=1000)

        today = date.today()
        ChannelStatsSnapshot.objects.bulk_create([
            ChannelStatsSnapshot(organisation=org, channel=ch, day=today - timedelta(days=d),
                                 followers=max(0, (ch.followers or 0) - 20 * d))
            for ch in channels for d in range(STATS_DAYS)], batch_size=5000)

        TrackedLink.objects.bulk_create([
            TrackedLink(organisation=org, workspace=ws, network="vk", post_ref=f"p{i}",
                        target_url=f"https://shop.example/{ws.pk.hex[:6]}/{i}")
            for ws in workspaces for i in range(20)])
        month = today.replace(day=1)
        CostEntry.objects.bulk_create([
            CostEntry(organisation=org, workspace=ws, month=(month - timedelta(days=28 * m)).replace(
                day=1), category="ad_spend", network="vk", amount=Decimal(40_000))
            for ws in workspaces for m in range(12)])
    from kosmmos.api.tokens import issue_token

    _token, api_token = issue_token(owner, name="bench pages")
    busiest = workspaces[0]
    post = next(p for p in posts if p.workspace_id == busiest.pk and p.status == "published")
    return {"workspace": str(busiest.pk), "post": str(post.pk), "api_token": api_token}


def _hour(published_at: datetime | None, hours: int) -> datetime:
    """A stats reading ``hours`` after publication, on the hour."""
    assert published_at is not None  # only published targets are read
    return (published_at + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


if __name__ == "__main__":
    import json

    import django

    django.setup()
    print(json.dumps(grow_demo(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)))
