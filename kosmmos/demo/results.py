"""Six months of history for both demo clients, so the results page, forecast vs actual and the
KPI drift alert are alive on ``make run``: an accepted proposal with monthly targets per client
(planned by the real planner), posts with statistics, daily followers, tracked links with clicks,
conversions with revenue, monthly costs and reviews in the inbox.

The actuals follow each month's targets (90–115 %) so the picture is believable; one metric is
visibly behind: Сеул Бьюти's new subscribers this month run at about half their target. The
proposals use the agency's own funnel rates for clients it knows (``Overrides.funnel``), so the
planned sales and the revenue they bring give a positive ROMI.

Deterministic (one seeded ``random.Random``); written with bulk inserts in one transaction. The
history's posts have no stats schedule and are not on the sandbox, so the workers leave them
alone; the follower history ends at the sandbox channel's count today, so the chart has no cliff.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kosmmos.accounts.models import User, Workspace
from kosmmos.channels.models import Channel

MONTHS = 6
# Per client: the brief behind the accepted proposal, the average check, how much of each
# target the actuals reach, and the one metric behind this month.
CLIENTS: list[dict[str, Any]] = [
    {"company": "Сеул Бьюти", "contact": "Лариса Ким", "networks": ["vk", "telegram"],
     "goals": ["traffic", "promotions", "reach"], "product": "permanent", "budget": "150000", "niche": "ecommerce",
     "kpis": "продажи с сайта, +1000 подписчиков в месяц", "check": (4500, 11500),
     "funnel": {"subscriber_to_lead": Decimal("0.06"), "lead_to_sale": Decimal("0.6")},
     "behind": "subscribers", "posts": 14},
    {"company": "Сон и Спина", "contact": "Олег Морозов", "networks": ["vk", "ok"],
     "goals": ["traffic", "reputation"], "product": "permanent", "budget": "180000",
     "niche": "ecommerce", "kpis": "заявки на консультацию, продажи матрасов",
     "check": (35000, 85000), "behind": "", "posts": 10,
     "funnel": {"subscriber_to_lead": Decimal("0.03"), "lead_to_sale": Decimal("0.12")}},
]
TITLES = {
    "Новинки": ["Новая сыворотка с центеллой", "Весенняя коллекция", "Новинка недели",
                "Модель 2025 года", "Топпер из мемори-фоама"],
    "Отзывы": ["Отзыв покупательницы", "Было — стало: 4 недели ухода", "Сон без боли в спине",
               "Отзыв после года на матрасе"],
    "Акции": ["−20 % на второй товар", "Подарок к заказу", "Распродажа выходных",
              "Бесплатная доставка до воскресенья"],
}
COMMENTS = [
    ("positive", "Спасибо, всё пришло быстро!"), ("positive", "Очень нравится, беру второй раз"),
    ("positive", "Лучший магазин, рекомендую"), ("neutral", "Подскажите, есть ли доставка в Казань?"),
    ("neutral", "Сколько стоит в размере 160×200?"), ("neutral", "А когда будет поступление?"),
    ("negative", "Курьер опоздал на два дня"), ("negative", "Пришла помятая коробка"),
    ("negative", "Не отвечаете в личке уже сутки"),
]


def load_results(manager: User, workspaces: list[Workspace], channels: list[Channel],
                 today: date | None = None) -> dict[str, int]:
    """Write the history; returns counts by kind (for the demo's tests)."""
    tz = timezone.get_current_timezone()
    today = today or timezone.localdate()
    rng = random.Random(14)
    counts: dict[str, int] = {}
    for spec, workspace, channel in zip(CLIENTS, workspaces, channels, strict=False):
        targets = _proposal(manager, workspace, spec, today)
        for key, n in _history(rng, manager, workspace, channel, spec, targets, today,
                               tz).items():
            counts[key] = counts.get(key, 0) + n
    return counts


def _months(today: date) -> list[date]:
    first = today.replace(day=1)
    out = []
    for back in range(MONTHS - 1, -1, -1):
        index = first.year * 12 + first.month - 1 - back
        out.append(date(index // 12, index % 12 + 1, 1))
    return out


def _proposal(manager: User, workspace: Workspace, spec: dict[str, Any], today: date
              ) -> dict[tuple[date, str], Decimal]:
    """A won lead with an accepted proposal planned from its brief, starting six months ago;
    its forecast becomes the workspace's targets (as accepting a proposal does)."""
    from kosmmos.briefs.models import Brief, Lead, LeadEvent, LeadStatus
    from kosmmos.proposals.actions import Edits, brief_input, make_plan, store_targets
    from kosmmos.proposals.models import Proposal, ProposalStatus, ProposalVersion
    from kosmmos.proposals.planning.model import Overrides

    org = workspace.organisation
    start = _months(today)[0]
    brief = Brief.objects.create(
        organisation=org, networks=spec["networks"], goals=spec["goals"],
        product_type=spec["product"], budget_rub=Decimal(spec["budget"]),
        period_months=MONTHS + 1, kpis=spec["kpis"], contact_name=spec["contact"],
        company=spec["company"], email=f"client{uuid.uuid4().hex[:6]}@example.ru",
        phone="+7 900 555-01-02", consent=True, cities="Москва", regions="Московская область",
        consent_policy_url=org.policy_url, niche=spec["niche"])
    lead = Lead.objects.create(organisation=org, brief=brief, title=spec["company"],
                               status=LeadStatus.WON, assignee=manager)
    LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.CREATED)
    # The agency's own rates for a client it knows (returning customers buy often).
    edits = Edits(brief_input(brief, start), Overrides(funnel=spec["funnel"]), "ru")
    media = make_plan(org, edits)
    proposal = Proposal.objects.create(organisation=org, lead=lead, language="ru")
    version = ProposalVersion.objects.create(
        proposal=proposal, number=1, inputs=edits.inputs.to_dict(),
        overrides=edits.overrides.to_dict(), plan=media.to_dict(), language="ru",
        created_by=manager)
    accepted = timezone.make_aware(datetime.combine(start - timedelta(days=5), datetime.min.time()))
    Proposal.objects.filter(pk=proposal.pk).update(
        status=ProposalStatus.ACCEPTED, sent_version=version, accepted_version=version,
        sent_at=accepted - timedelta(days=2), accepted_at=accepted)
    store_targets(proposal, workspace, media)
    from kosmmos.proposals.models import WorkspaceTarget

    return {(t.month, t.metric): t.value for t in WorkspaceTarget.objects.filter(workspace=workspace)}


def _share(month: date, today: date, now: datetime, tz: Any) -> float:
    """How much of ``month`` has passed (1 for a past month)."""
    if month < today.replace(day=1):
        return 1.0
    first = datetime(month.year, month.month, 1, tzinfo=tz)
    nxt = (month + timedelta(days=32)).replace(day=1)
    after = datetime(nxt.year, nxt.month, 1, tzinfo=tz)
    return max(0.02, (now - first).total_seconds() / (after - first).total_seconds())


def _history(rng: random.Random, manager: User, workspace: Workspace, channel: Channel,
             spec: dict[str, Any], targets: dict[tuple[date, str], Decimal], today: date,
             tz: Any) -> dict[str, int]:
    from kosmmos.content.models import Post, PostStatus, PostTarget, Rubric, TargetStatus
    from kosmmos.publishing.models import PostStatsSnapshot

    now = timezone.now()
    months = _months(today)
    rubrics = list(Rubric.objects.filter(workspace=workspace))
    org_id = workspace.organisation_id

    def target(month: date, metric: str, fallback: float) -> float:
        value = targets.get((month, metric))
        return float(value) if value is not None else fallback

    def factor(metric: str, month: date) -> float:
        if metric == spec["behind"] and month == months[-1]:
            return 0.5
        return rng.uniform(0.9, 1.15)

    posts: list[Post] = []
    post_targets: list[PostTarget] = []
    snaps: list[PostStatsSnapshot] = []
    for month in months:
        share = _share(month, today, now, tz)
        n_posts = max(1, round(spec["posts"] * share))
        reach = target(month, "reach", 40000) * factor("reach", month) * share
        views = max(reach * 1.35, target(month, "impressions", 0) * share * rng.uniform(0.9, 1.1))
        weights = [rng.uniform(0.5, 1.5) for _ in range(n_posts)]
        last_day = 27 if share >= 1 else max(0, today.day - 2)
        for i in range(n_posts):
            day = rng.randint(0, last_day)
            published = timezone.make_aware(datetime(
                month.year, month.month, 1 + day, rng.choice([9, 10, 12, 13, 18, 19, 20, 21]),
                rng.choice([0, 15, 30])), tz)
            if published >= now - timedelta(hours=6):
                published = now - timedelta(hours=6 + rng.randint(0, 12))
            rubric = rng.choice(rubrics) if rubrics else None
            title = rng.choice(TITLES.get(rubric.name if rubric else "Новинки", TITLES["Новинки"]))
            post = Post(organisation_id=org_id, workspace=workspace, author=manager, title=title,
                        text=f"{title}. Подробности — по ссылке в профиле.", rubric=rubric,
                        publish_at=published, status=PostStatus.PUBLISHED)
            posts.append(post)
            t = PostTarget(organisation_id=org_id, post=post, channel=channel,
                           status=TargetStatus.PUBLISHED, publish_at=published,
                           published_at=published, external_id=f"demo-history-{uuid.uuid4().hex[:10]}",
                           attempts=1)
            post_targets.append(t)
            share_i = weights[i] / sum(weights)
            # Readings an hour and a week after publication; a younger post's last reading is
            # now, with the share of its final figures a post has by that age.
            age_now = (now - published) / timedelta(days=7)
            part_now = 1.0 if age_now >= 1 else 0.35 + 0.65 * age_now
            p_reach = int(reach * share_i / part_now)
            p_views = views * share_i / part_now
            # Engagement climbs with the evening posts: the heatmap has a shape to show.
            rate = rng.uniform(0.02, 0.05) * (1.5 if published.astimezone(tz).hour >= 18 else 1)
            engaged = int(p_reach * rate)
            likes = int(engaged * 0.8)
            comments = int(engaged * 0.12)
            readings = [(published + timedelta(hours=1), 0.35)]
            readings.append((published + timedelta(days=7), 1.0) if age_now >= 1 else
                            (now - timedelta(hours=1), part_now))
            for at, part in readings:
                snaps.append(PostStatsSnapshot(
                    organisation_id=org_id, target=t, taken_at=at.replace(minute=0, second=0,
                                                                          microsecond=0),
                    views=int(p_views * part), reach=int(p_reach * part),
                    likes=int(likes * part), comments=int(comments * part),
                    reposts=int((engaged - likes - comments) * part)))
    Post.objects.bulk_create(posts)
    PostTarget.objects.bulk_create(post_targets)
    PostStatsSnapshot.objects.bulk_create(snaps)
    counts = {"posts": len(posts), "snapshots": len(snaps)}
    counts["followers"] = _followers(rng, workspace, channel, months, today, targets, factor)
    counts["demographics"] = _demographics(workspace, channel, months, today)
    counts.update(_money(rng, manager, workspace, months, today, now, tz, spec, targets, factor,
                         post_targets))
    counts["reviews"] = _reviews(rng, workspace, channel, post_targets, now)
    return counts


def _followers(rng: random.Random, workspace: Workspace, channel: Channel, months: list[date],
               today: date, targets: dict[tuple[date, str], Decimal], factor: Any) -> int:
    """Daily counts back from today's count on the sandbox, growing by each month's target."""
    from kosmmos.channels.models import ChannelStatsSnapshot

    end = _sandbox_followers(channel)
    daily: dict[date, float] = {}
    for month in months:
        nxt = (month + timedelta(days=32)).replace(day=1)
        days = (nxt - month).days
        per_day = float(targets.get((month, "subscribers"), Decimal(600))) * factor(
            "subscribers", month) / days
        day = month
        while day < nxt:
            daily[day] = per_day * rng.uniform(0.4, 1.6)
            day += timedelta(days=1)
    # A small community cannot have grown by more than it has: the history then grows slower.
    total = sum(v for d, v in daily.items() if d < today)
    scale = min(1.0, 0.7 * end / total) if total else 1.0
    rows = []
    count = float(end)
    day = today - timedelta(days=1)
    while day >= months[0]:
        rows.append(ChannelStatsSnapshot(organisation_id=workspace.organisation_id,
                                         channel=channel, day=day, followers=max(0, round(count))))
        count -= daily.get(day, 0) * scale
        day -= timedelta(days=1)
    ChannelStatsSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _demographics(workspace: Workspace, channel: Channel, months: list[date], today: date) -> int:
    """One demographics reading per past month, as the sandbox's stats.get answers for the
    channel (ext/audience.py) and stored the way the worker stores its daily reading; this
    month's comes from the worker itself (publishing.stats.collect_demographics)."""
    from kosmmos.channels.models import ChannelDemographics, ChannelStatsSnapshot
    from kosmmos.connectors.demographics import from_vk_stats
    from kosmmos.connectors.sandbox.ext.audience import visitors

    rows = []
    for month in months:
        last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        if last >= today:
            continue
        followers = ChannelStatsSnapshot.objects.filter(channel=channel, day__lte=last).order_by(
            "-day").values_list("followers", flat=True).first() or 1000
        start = int(datetime(month.year, month.month, 1, tzinfo=UTC).timestamp())
        end = int(datetime(last.year, last.month, last.day, 23, 59, tzinfo=UTC).timestamp())
        mix = from_vk_stats([{"period_from": start, "period_to": end, "visitors": visitors(
            1, channel.external_id, followers, start, end)}], last)
        if mix is not None:
            rows.append(ChannelDemographics(
                organisation_id=workspace.organisation_id, channel=channel,
                period_from=mix.period_from, period_to=mix.period_to, basis=mix.basis,
                sex=mix.sex, age=mix.age, sex_age=mix.sex_age,
                cities=[list(c) for c in mix.cities]))
    ChannelDemographics.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _sandbox_followers(channel: Channel) -> int:
    """The sandbox channel's follower count today (the next reading the worker takes), or a
    plausible figure when the sandbox cannot say."""
    try:
        count = channel.connector().followers()
    except Exception:  # the sandbox is not running yet (make run loads the demo first)
        count = None
    if count is None:
        try:
            from django.conf import settings

            from kosmmos.connectors.sandbox.server import Network

            count = Network(path=str(settings.VAR_DIR / "sandbox.sqlite3"),
                            public_url=settings.SANDBOX_URL).followers(channel.external_id)
        except Exception:
            count = None
    return int(count) if count else 12000


def _money(rng: random.Random, manager: User, workspace: Workspace, months: list[date],
           today: date, now: datetime, tz: Any, spec: dict[str, Any],
           targets: dict[tuple[date, str], Decimal], factor: Any,
           post_targets: list[Any]) -> dict[str, int]:
    """Links (one for the site, one per third of the posts), clicks in the event store,
    conversions credited to them and monthly costs giving a positive ROMI."""
    from kosmmos.links.events import Click, get_store
    from kosmmos.links.models import (
        Conversion,
        ConversionKind,
        ConversionSource,
        CostCategory,
        CostEntry,
        TrackedLink,
    )
    from kosmmos.links.rollups import rollup_all

    org_id = workspace.organisation_id
    site = TrackedLink.objects.create(
        organisation_id=org_id, workspace=workspace, title="Сайт из шапки сообщества",
        target_url=f"{workspace.website or 'https://example.ru'}/", network="vk",
        created_by=manager)
    per_post = [TrackedLink(organisation_id=org_id, workspace=workspace,
                            title=f"Пост: {t.post.title}"[:200],
                            target_url=f"{workspace.website or 'https://example.ru'}/promo",
                            network="vk", post_ref=str(t.post_id), created_by=manager)
                for t in post_targets[::3]]
    TrackedLink.objects.bulk_create(per_post)
    published = {str(t.post_id): t.published_at for t in post_targets}
    clicks: list[Click] = []
    conversions: list[Conversion] = []
    costs: list[CostEntry] = []
    for month in months:
        share = _share(month, today, now, tz)
        first = datetime(month.year, month.month, 1, tzinfo=tz)
        span = min(now, datetime(*(month + timedelta(days=32)).replace(day=1).timetuple()[:3],
                                 tzinfo=tz)) - first
        n_clicks = round(target(targets, month, "clicks", 1500) * factor("clicks", month) * share)
        n_leads = round(target(targets, month, "leads", 60) * factor("leads", month) * share)
        n_sales = min(n_leads, round(target(targets, month, "sales", 12) * factor("sales", month)
                                     * share))
        month_links = [lk for lk in per_post if published.get(lk.post_ref) and
                       published[lk.post_ref].astimezone(tz).date().replace(day=1) == month]
        stamps = []
        for _i in range(n_clicks):
            at = first + span * rng.random()
            link = rng.choice(month_links) if month_links and rng.random() < 0.6 else site
            if link is not site and published[link.post_ref] > at:
                link = site
            clicks.append(Click(workspace.pk, int(at.timestamp() * 1000),
                                f"d{uuid.uuid4().hex[:20]}", link.pk, "vk.com", "browser",
                                rng.choice(["mobile", "mobile", "desktop"])))
            stamps.append((at, link))
        for k in range(n_leads):
            clicked_at, link = rng.choice(stamps) if stamps else (first, site)
            at = min(now - timedelta(minutes=5), clicked_at + timedelta(minutes=rng.randint(3, 600)))
            sale = k < n_sales
            amount = Decimal(rng.randint(*spec["check"])) if sale else Decimal(0)
            credited = rng.random() < 0.85
            conversions.append(Conversion(
                organisation_id=org_id, workspace=workspace, event_id=f"demo-{uuid.uuid4().hex}",
                kind=ConversionKind.PURCHASE if sale else ConversionKind.REGISTRATION,
                name="order" if sale else "consultation", amount=amount, occurred_at=at,
                source=ConversionSource.POSTBACK, link=link if credited else None,
                clicked_at=clicked_at if credited else None))
        # The month's costs are entered whole at its start: under the planned budget (the agency
    # bought the planned results for less).
        total = (Decimal(target(targets, month, "budget", 100000))
                 * Decimal(str(round(rng.uniform(0.7, 0.8), 3)))).quantize(Decimal(1))
        for category, part, network in ((CostCategory.AD_SPEND, "0.55", "vk"),
                                        (CostCategory.CONTENT, "0.15", ""),
                                        (CostCategory.AGENCY_FEE, "0.30", "")):
            costs.append(CostEntry(organisation_id=org_id, workspace=workspace, month=month,
                                   category=category, network=network,
                                   amount=(total * Decimal(part)).quantize(Decimal("0.01")),
                                   created_by=manager))
    get_store().append_clicks(clicks)
    rollup_all()
    Conversion.objects.bulk_create(conversions)
    CostEntry.objects.bulk_create(costs)
    return {"clicks": len(clicks), "conversions": len(conversions), "costs": len(costs)}


def target(targets: dict[tuple[date, str], Decimal], month: date, metric: str,
           fallback: float) -> float:
    value = targets.get((month, metric))
    return float(value) if value is not None else fallback


def _reviews(rng: random.Random, workspace: Workspace, channel: Channel, post_targets: list[Any],
             now: datetime) -> int:
    """Comments under the history's posts, answered; negatives thin out month by month (the
    agency's work on delivery). Only posts older than two weeks: the recent days are the demo
    inbox's own."""
    from kosmmos.inbox.models import Item, ItemStatus, Kind

    items = []
    names = ["Анна", "Мария", "Ольга", "Ирина", "Дмитрий", "Сергей", "Екатерина", "Наталья"]
    oldest = min((t.published_at for t in post_targets), default=now)
    for t in post_targets:
        if t.published_at > now - timedelta(days=14):
            continue
        age = (t.published_at - oldest).total_seconds() / max(1.0, (now - oldest).total_seconds())
        for _i in range(rng.randint(1, 4)):
            sentiment, text = rng.choice(COMMENTS)
            if sentiment == "negative" and rng.random() < age * 0.5:
                sentiment, text = rng.choice(COMMENTS[:3])
            received = t.published_at + timedelta(minutes=rng.randint(10, 2000))
            items.append(Item(
                organisation_id=workspace.organisation_id, workspace=workspace, channel=channel,
                network=channel.network, kind=Kind.COMMENT,
                external_id=f"demo-review-{uuid.uuid4().hex[:12]}", target=t, post_id=t.post_id,
                author_ref=f"u{rng.randint(1, 400)}", author_name=rng.choice(names), text=text,
                text_length=len(text), sentiment=sentiment, status=ItemStatus.CLOSED,
                needs_response=False, received_at=received, created_at=received,
                first_response_at=received + timedelta(minutes=rng.randint(4, 240)),
                closed_at=received + timedelta(hours=5)))
    Item.objects.bulk_create(items)
    return len(items)
