"""Review analytics: sentiment over time, share of negatives, response times (SLA), surge alerts.

Figures are computed from the items (indexed tenant first, then time) over at most 90 days.
Charts are server-side SVG built with the proposal charts' primitives.
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
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kosmmos.inbox.models import CONVERSATION_KINDS, Item, SurgeAlert
from kosmmos.proposals import charts

log = logging.getLogger(__name__)

COLOURS = {"positive": "#10b981", "neutral": "#94a3b8", "negative": "#ef4444"}
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


def daily_sentiment(items: QuerySet[Item], days: int = 30) -> DaySeries:
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    rows = (items.filter(received_at__gte=since, kind__in=CONVERSATION_KINDS)
            .annotate(day=TruncDate("received_at", tzinfo=timezone.get_current_timezone()))
            .values("day", "sentiment").annotate(n=Count("pk")).order_by())
    grid: dict[tuple[date, str], int] = {(r["day"], r["sentiment"]): r["n"] for r in rows}
    span = [start + timedelta(days=i) for i in range(days)]
    return DaySeries(
        days=span,
        positive=[grid.get((d, "positive"), 0) for d in span],
        neutral=[grid.get((d, "neutral"), 0) + grid.get((d, ""), 0) for d in span],
        negative=[grid.get((d, "negative"), 0) for d in span],
    )


def sentiment_chart(series: DaySeries, title: str) -> SafeString:
    """Stacked bars per day: negative at the bottom (what a manager looks for first)."""
    width, height, left, right, top, bottom = 720, 230, 40, 12, 30, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = charts._nice_max(max(series.totals, default=0))
    step = plot_w / max(len(series.days), 1)
    body: list[str] = []
    for tick in range(5):
        y = top + plot_h - plot_h * tick / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                    f'stroke="#e5e7eb" stroke-width="1"/>')
        body.append(charts._text(left - 6, y + 4, f"{peak * tick / 4:g}", size=9, anchor="end"))
    for i, day in enumerate(series.days):
        x = left + i * step + step * 0.15
        y = top + plot_h
        for label, values in (("negative", series.negative), ("neutral", series.neutral),
                              ("positive", series.positive)):
            h = plot_h * values[i] / peak
            if h > 0:
                y -= h
                body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" '
                            f'height="{h:.1f}" fill="{COLOURS[label]}"/>')
        if i % max(1, len(series.days) // 10) == 0:
            body.append(charts._text(x + step * 0.35, height - bottom + 15,
                                     day.strftime("%d.%m"), size=9, anchor="middle"))
    legend = ((_("Negative"), "negative"), (_("Neutral"), "neutral"), (_("Positive"), "positive"))
    for n, (name, key) in enumerate(legend):
        lx = left + n * 120
        body.append(f'<rect x="{lx}" y="6" width="11" height="11" rx="2" fill="{COLOURS[key]}"/>')
        body.append(charts._text(lx + 16, 16, name, size=10))
    return charts._svg(width, height, body, title)


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


def sla_summary(items: QuerySet[Item], target_minutes: int, days: int = 30) -> Sla:
    """Time to first response over the answered items received in the last ``days``, overall
    and per manager (the one whose reply went out first), and the open items past the target."""
    now = timezone.now()
    since = now - timedelta(days=days)
    answered = list(items.filter(received_at__gte=since, first_response_at__isnull=False)
                    .values_list("received_at", "first_response_at", "first_responder__first_name",
                                 "first_responder__last_name", "first_responder__email"))
    per: dict[str, list[float]] = {}
    minutes = []
    for received, responded, first, last, email in answered:
        value = max(0.0, (responded - received).total_seconds() / 60)
        minutes.append(value)
        per.setdefault(f"{first} {last}".strip() or email or _("Unknown"), []).append(value)

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


def overdue(items: QuerySet[Item], target_minutes: int) -> QuerySet[Item]:
    limit = timezone.now() - timedelta(minutes=target_minutes)
    return items.filter(status="open", needs_response=True, first_response_at__isnull=True,
                        deleted_at__isnull=True, received_at__lt=limit)


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
    from kosmmos.channels.models import Channel

    channel = Channel.objects.select_related("workspace", "organisation").get(pk=channel_id)
    try:
        with transaction.atomic():
            alert = SurgeAlert.objects.create(
                organisation_id=channel.organisation_id, workspace_id=channel.workspace_id,
                channel=channel, day=day, negatives=negatives, mean=mean, sigma=sigma)
            transaction.on_commit(lambda: _email(alert, channel))
    except IntegrityError:
        return False
    return True


def _email(alert: SurgeAlert, channel: Any) -> None:
    from django.conf import settings

    from kosmmos.mail.delivery import queue_email

    recipients = channel.organisation.lead_recipients()
    if not recipients:
        return
    subject = _("Negative comments surge: %(channel)s (%(workspace)s)") % {
        "channel": channel.name, "workspace": channel.workspace.name}
    body = _("%(count)s negative comments today on %(channel)s; a normal day has %(mean).1f "
             "(σ %(sigma).1f). Open the inbox: %(url)s") % {
        "count": alert.negatives, "channel": channel.name, "mean": alert.mean,
        "sigma": alert.sigma,
        "url": f"{settings.SITE_URL}/inbox/?workspace={channel.workspace_id}&sentiment=negative"}
    queue_email(to=recipients, subject=subject, body=body, organisation=channel.organisation,
                kind="inbox_surge")
