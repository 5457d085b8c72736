"""Review analytics: sentiment over time, share of negatives, response times (SLA), surge alerts.

Figures are computed from the items (indexed tenant first, then time) over at most 90 days;
kosmmos/inbox/charts.py draws them.
"""

from __future__ import annotations

import logging
import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kosmmos.inbox.models import (
    CONVERSATION_KINDS,
    DEFAULT_SLA_MINUTES,
    InboxProfile,
    Item,
    SurgeAlert,
)
from kosmmos.lib.events import emit

log = logging.getLogger(__name__)

# What each pipeline drop reason (pipeline.py, the networks' connectors/*/inbound.py) means
# to a manager.
DROP_REASONS = {
    "own_message": gettext_lazy("Our own posts and answers (not customers' messages)"),
    "duplicate_event": gettext_lazy("Delivered again by the network"),
    "duplicate_item": gettext_lazy("Already in the inbox"),
    "bad_payload": gettext_lazy("Unreadable data from the network"),
    "unknown_item": gettext_lazy("Edit or deletion of a message we never received"),
    "unsupported_type": gettext_lazy("An event the inbox does not use"),
    "wrong_channel": gettext_lazy("Meant for another community"),
    "foreign_chat": gettext_lazy("From a chat that is not the channel's discussion group"),
    "foreign_forward": gettext_lazy("Another channel's post forwarded to the group"),
    "unsupported_network": gettext_lazy("A network the inbox does not read"),
    "own_post": gettext_lazy("Our own publication announced by the network"),
    "not_published": gettext_lazy("A post not published yet (scheduled or suggested)"),
    "not_wall_comment": gettext_lazy("Comments on photos, videos, goods or boards (the inbox "
                                     "reads the wall)"),
    "chat_state": gettext_lazy("Message state: our replies, reads, typing, permissions"),
    "counted_by_stats": gettext_lazy("Likes and votes (read with the post statistics)"),
    "media_upload": gettext_lazy("Media added to the community's albums"),
    "community_admin": gettext_lazy("The community's administration"),
    "commerce": gettext_lazy("Orders, payments, donations and lead forms"),
    "time_invalid": gettext_lazy("A time that is not unix seconds or is far off (milliseconds, "
                                 "year 10000)"),
    "failed": gettext_lazy("Could not be stored (logged for support)"),
}
SURGE_DAYS = 14
SURGE_MIN = 5
SURGE_SIGMAS = 3.0


@dataclass
class DaySeries:
    days: list[date]
    positive: list[int]
    neutral: list[int]
    negative: list[int]

    @property
    def totals(self) -> list[int]:
        return [p + u + n for p, u, n in zip(self.positive, self.neutral, self.negative,
                                             strict=True)]

    def negative_share(self) -> float | None:
        total = sum(self.totals)
        return sum(self.negative) / total if total else None


def _counts_by_day(items: QuerySet[Item], start: date, end: date | None = None
                   ) -> dict[tuple[date, str], int]:
    """Comments and messages per local day (from ``start``, up to ``end`` inclusive) and
    sentiment."""
    since = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    if end is not None:
        items = items.filter(received_at__lt=timezone.make_aware(
            datetime.combine(end + timedelta(days=1), datetime.min.time())))
    rows = (items.filter(received_at__gte=since, kind__in=CONVERSATION_KINDS)
            .annotate(day=TruncDate("received_at", tzinfo=timezone.get_current_timezone()))
            .values("day", "sentiment").annotate(n=Count("pk")).order_by())
    return {(r["day"], r["sentiment"]): r["n"] for r in rows}


def daily_sentiment(items: QuerySet[Item], days: int = 30, *, end: date | None = None
                    ) -> DaySeries:
    """Items per day by sentiment over the ``days`` ending ``end`` (default today)."""
    end = end or timezone.localdate()
    start = end - timedelta(days=days - 1)
    grid = _counts_by_day(items, start, end)
    span = [start + timedelta(days=i) for i in range(days)]
    return DaySeries(
        days=span,
        positive=[grid.get((d, "positive"), 0) for d in span],
        neutral=[grid.get((d, "neutral"), 0) + grid.get((d, ""), 0) for d in span],
        negative=[grid.get((d, "negative"), 0) for d in span],
    )


@dataclass
class WeekShare:
    start: date
    total: int
    negative: int

    @property
    def share(self) -> float | None:
        return self.negative / self.total if self.total else None


def fit_weeks(weeks: list[WeekShare]) -> list[WeekShare]:
    """The weeks from the first with comments to the last with comments: a chart spans its
    data, not empty weeks before or after it (an empty week between two with comments stays,
    a gap in the line). No comments at all: no weeks."""
    full = [i for i, w in enumerate(weeks) if w.total]
    return weeks[full[0]:full[-1] + 1] if full else []


def weekly_negative_share(items: QuerySet[Item], weeks: int = 12) -> list[WeekShare]:
    """Comments and messages per calendar week (Monday first) and how many were negative, over
    at most the last ``weeks`` weeks, fitted to the weeks that have comments (``fit_weeks``).
    Weeks, not days: a share over a handful of daily comments jumps too much to read."""
    today = timezone.localdate()
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    out = [WeekShare(first + timedelta(weeks=w), 0, 0) for w in range(weeks)]
    for (day, sentiment), n in _counts_by_day(items, first).items():
        index = (day - first).days // 7
        if not 0 <= index < weeks:  # a clock ahead of ours: not this chart's weeks
            continue
        out[index].total += n
        if sentiment == "negative":
            out[index].negative += n
    return fit_weeks(out)


@dataclass
class DayResponse:
    day: date
    answered: int
    median_minutes: float | None


def daily_response_times(items: QuerySet[Item], days: int = 30, *, end: date | None = None
                         ) -> list[DayResponse]:
    """Median time to first response of the items received each day (answered ones), over the
    ``days`` ending ``end`` (default today)."""
    end = end or timezone.localdate()
    start = end - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), datetime.min.time()))
    per: dict[date, list[float]] = {}
    rows = items.filter(received_at__gte=since, received_at__lt=until,
                        first_response_at__isnull=False).values_list(
        "received_at", "first_response_at")
    for received, responded in rows:
        assert responded is not None  # filtered above
        day = timezone.localtime(received).date()
        per.setdefault(day, []).append(max(0.0, (responded - received).total_seconds() / 60))
    span = [start + timedelta(days=i) for i in range(days)]
    return [DayResponse(d, len(per.get(d, [])),
                        statistics.median(per[d]) if d in per else None) for d in span]


@dataclass
class ManagerSla:
    name: str
    answered: int
    median_minutes: float | None
    within_target: float | None


@dataclass
class Sla:
    target_minutes: int
    answered: int
    median_minutes: float | None
    p90_minutes: float | None
    within_target: float | None
    overdue: int
    managers: list[ManagerSla]


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def sla_summary(items: QuerySet[Item], target_minutes: int, days: int = 30, *,
                until: datetime | None = None) -> Sla:
    """Time to first response over the answered items received in the ``days`` before ``until``
    (default now), overall and per manager (the one whose reply went out first), and the open
    items past the target (always as of now)."""
    now = until or timezone.now()
    since = now - timedelta(days=days)
    window = items.filter(received_at__lt=until) if until is not None else items
    answered = list(window.filter(received_at__gte=since, first_response_at__isnull=False)
                    .values_list("received_at", "first_response_at", "first_responder__first_name",
                                 "first_responder__last_name", "first_responder__email"))
    per: dict[str, list[float]] = {}
    minutes = []
    for received, responded, first, last, email in answered:
        assert responded is not None  # filtered above
        value = max(0.0, (responded - received).total_seconds() / 60)
        minutes.append(value)
        # No responder: the answer was typed on the network, not sent from Kosmmos.
        name = f"{first or ''} {last or ''}".strip() or email or _("Answered on the network")
        per.setdefault(name, []).append(value)

    def within(values: list[float]) -> float | None:
        return sum(1 for v in values if v <= target_minutes) / len(values) if values else None

    return Sla(
        target_minutes=target_minutes, answered=len(minutes),
        median_minutes=statistics.median(minutes) if minutes else None,
        p90_minutes=_pct(minutes, 0.9), within_target=within(minutes),
        overdue=overdue(items, target_minutes).count(),
        managers=sorted((ManagerSla(name, len(v), statistics.median(v), within(v))
                         for name, v in per.items()), key=lambda m: -m.answered),
    )


def waiting(items: QuerySet[Item]) -> QuerySet[Item]:
    """Open items that want an answer and have none yet."""
    return items.filter(status="open", needs_response=True, first_response_at__isnull=True,
                        deleted_at__isnull=True)


def overdue(items: QuerySet[Item], target_minutes: int) -> QuerySet[Item]:
    limit = timezone.now() - timedelta(minutes=target_minutes)
    return waiting(items).filter(received_at__lt=limit)


def sla_targets(workspace_ids: Any) -> dict[Any, int]:
    """Each workspace's first-response target in minutes (the default where none is set)."""
    ids = list(workspace_ids)
    stored = dict(InboxProfile.objects.filter(workspace_id__in=ids).values_list(
        "workspace_id", "sla_minutes"))
    return {pk: stored.get(pk, DEFAULT_SLA_MINUTES) for pk in ids}


def detect_overdue(limit: int = 200) -> int:
    """Raise ``comment.overdue`` once per item that waits past its workspace's SLA (items of the
    last day: older history is not news); returns how many were raised."""
    from django.conf import settings
    from django.utils import translation

    recent = waiting(Item.objects.filter(
        received_at__gte=timezone.now() - timedelta(days=1))).select_related("channel")
    targets = sla_targets(recent.values_list("workspace_id", flat=True).distinct())
    raised = 0
    for workspace_id, minutes in targets.items():
        for item in overdue(recent.filter(workspace_id=workspace_id), minutes)[:limit]:
            with translation.override(settings.LANGUAGE_CODE):
                title = _("Comment waiting past its SLA: %(channel)s") % {
                    "channel": item.channel.name if item.channel else item.network}
            with transaction.atomic():
                raised += emit(
                    "comment.overdue", organisation=item.organisation_id,
                    workspace=workspace_id, title=title, body=item.text[:300],
                    url=f"/inbox/items/{item.pk}/", dedupe_key=f"overdue:{item.pk}",
                    payload={"item": str(item.pk), "channel": str(item.channel_id),
                             "sla_minutes": minutes}) is not None
    return raised


# --- surge alerts ----------------------------------------------------------------------------


def is_surge(today: int, history: list[int]) -> tuple[bool, float, float]:
    """Today's negatives against the previous days: above mean + 3σ and at least five."""
    mean = statistics.fmean(history) if history else 0.0
    sigma = statistics.pstdev(history) if len(history) > 1 else 0.0
    return today >= SURGE_MIN and today > mean + SURGE_SIGMAS * sigma, mean, sigma


def detect_surges(today: date | None = None) -> int:
    """Raise at most one alert per channel per day (the unique constraint decides between
    concurrent runners); each new alert emails the agency once the row is committed."""
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(today - timedelta(days=SURGE_DAYS),
                                                 datetime.min.time()))
    already = set(SurgeAlert.objects.filter(day=today).values_list("channel_id", flat=True))
    hot = (Item.objects.filter(sentiment="negative", kind__in=CONVERSATION_KINDS,
                               received_at__gte=timezone.make_aware(
                                   datetime.combine(today, datetime.min.time())))
           .values("channel_id").annotate(n=Count("pk")).filter(n__gte=SURGE_MIN))
    raised = 0
    for row in hot:
        channel_id = row["channel_id"]
        if channel_id in already:
            continue
        counts = dict(Item.objects.filter(channel_id=channel_id, sentiment="negative",
                                          kind__in=CONVERSATION_KINDS, received_at__gte=start)
                      .annotate(day=TruncDate("received_at", tzinfo=tz))
                      .values("day").annotate(n=Count("pk")).values_list("day", "n").order_by())
        history = [counts.get(today - timedelta(days=d), 0) for d in range(1, SURGE_DAYS + 1)]
        surge, mean, sigma = is_surge(counts.get(today, 0), history)
        if surge and raise_alert(channel_id, today, counts.get(today, 0), mean, sigma):
            raised += 1
    return raised


def raise_alert(channel_id: Any, day: date, negatives: int, mean: float, sigma: float) -> bool:
    from django.conf import settings
    from django.utils import translation

    from kosmmos.channels.models import Channel

    channel = Channel.objects.select_related("workspace", "organisation").get(pk=channel_id)
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Negative comments surge: %(channel)s (%(workspace)s)") % {
            "channel": channel.name, "workspace": channel.workspace.name}
        body = _("%(count)s negative comments today on %(channel)s; a normal day has "
                 "%(mean).1f (σ %(sigma).1f).") % {
            "count": negatives, "channel": channel.name, "mean": mean, "sigma": sigma}
    try:
        with transaction.atomic():
            alert = SurgeAlert.objects.create(
                organisation_id=channel.organisation_id, workspace_id=channel.workspace_id,
                channel=channel, day=day, negatives=negatives, mean=mean, sigma=sigma)
            emit("inbox.negative_surge", organisation=channel.organisation_id,
                 workspace=channel.workspace, title=title, body=body,
                 url=f"/inbox/?workspace={channel.workspace_id}&sentiment=negative",
                 dedupe_key=f"surge:{alert.pk}",
                 payload={"channel": str(channel.pk), "negatives": negatives,
                          "day": day.isoformat()})
    except IntegrityError:
        return False
    return True
