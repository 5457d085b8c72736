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
from html import escape
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kosmmos.inbox.models import (
    CONVERSATION_KINDS,
    DEFAULT_SLA_MINUTES,
    InboxProfile,
    Item,
    SurgeAlert,
)
from kosmmos.proposals import charts

log = logging.getLogger(__name__)

COLOURS = {"positive": "#10b981", "neutral": "#94a3b8", "negative": "#ef4444"}

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


def _counts_by_day(items: QuerySet[Item], start: date) -> dict[tuple[date, str], int]:
    """Comments and messages per local day (from ``start``) and sentiment."""
    since = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    rows = (items.filter(received_at__gte=since, kind__in=CONVERSATION_KINDS)
            .annotate(day=TruncDate("received_at", tzinfo=timezone.get_current_timezone()))
            .values("day", "sentiment").annotate(n=Count("pk")).order_by())
    return {(r["day"], r["sentiment"]): r["n"] for r in rows}


def daily_sentiment(items: QuerySet[Item], days: int = 30) -> DaySeries:
    start = timezone.localdate() - timedelta(days=days - 1)
    grid = _counts_by_day(items, start)
    span = [start + timedelta(days=i) for i in range(days)]
    return DaySeries(
        days=span,
        positive=[grid.get((d, "positive"), 0) for d in span],
        neutral=[grid.get((d, "neutral"), 0) + grid.get((d, ""), 0) for d in span],
        negative=[grid.get((d, "negative"), 0) for d in span],
    )


def count_axis(value: float) -> tuple[int, int]:
    """(axis maximum, tick step) for counts: four whole-number steps, so a day with five
    comments never reads "1.25" on the axis."""
    need = value / 4
    power = 1
    while True:
        for mult in (1, 2, 5) if power == 1 else (1, 2, 2.5, 5):
            step = int(mult * power)
            if step >= need:
                return step * 4, step
        power *= 10


def _wide_svg(width: int, height: int, body: list[str], title: str) -> SafeString:
    # The inbox charts sit in full-width cards: scale up to the card as well as down.
    return mark_safe(  # noqa: S308 -- built from the escaped parts of charts._svg
        str(charts._svg(width, height, body, title)).replace(
            'style="max-width:100%;height:auto"', 'style="width:100%;height:auto"', 1))


def _axis(body: list[str], box: tuple[int, int, int, int], peak: float, step: float,
          fmt: str = "{:g}") -> None:
    left, top, right_x, plot_h = box
    ticks = round(peak / step)
    for tick in range(ticks + 1):
        y = top + plot_h - plot_h * tick / ticks
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right_x}" y2="{y:.1f}" '
                    f'stroke="#e5e7eb" stroke-width="1"/>')
        body.append(charts._text(left - 6, y + 4, fmt.format(step * tick), size=10, anchor="end"))


def _dashed(body: list[str], span: tuple[float, float], y: float, colour: str, *,
            width: float, opacity: float = 1.0) -> None:
    """A dashed horizontal reference line (a target, an average) across the plot."""
    body.append(f'<line x1="{span[0]}" y1="{y:.1f}" x2="{span[1]}" y2="{y:.1f}" '
                f'stroke="{colour}" stroke-width="{width}" stroke-dasharray="5 4" '
                f'opacity="{opacity}"/>')


def _empty_note(body: list[str], x: float, y: float, text: str) -> None:
    body.append(charts._text(x, y, text, size=12, anchor="middle", fill="#6b7280"))


def sentiment_chart(series: DaySeries, title: str) -> SafeString:
    """Stacked bars per day: negative at the bottom (what a manager looks for first). Each
    day's bar carries its counts as a tooltip."""
    width, height, left, right, top, bottom = 960, 250, 40, 12, 30, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak, tick_step = count_axis(max(series.totals, default=0))
    step = plot_w / max(len(series.days), 1)
    body: list[str] = []
    _axis(body, (left, top, width - right, plot_h), peak, tick_step)
    names = {"negative": _("Negative"), "neutral": _("Neutral"), "positive": _("Positive")}
    layers = (("negative", series.negative), ("neutral", series.neutral),
              ("positive", series.positive))
    for i, day in enumerate(series.days):
        x = left + i * step + step * 0.15
        y = top + plot_h
        tip = f"{day:%d.%m}: " + ", ".join(f"{names[k].lower()} {v[i]}" for k, v in layers)
        body.append(f"<g><title>{escape(tip)}</title>")
        for label, values in layers:
            h = plot_h * values[i] / peak
            if h > 0:
                y -= h
                body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" '
                            f'height="{h:.1f}" fill="{COLOURS[label]}"/>')
        body.append("</g>")
        if i % max(1, len(series.days) // 10) == 0:
            body.append(charts._text(x + step * 0.35, height - bottom + 15,
                                     day.strftime("%d.%m"), size=10, anchor="middle"))
    for n, key in enumerate(("negative", "neutral", "positive")):
        lx = left + n * 120
        body.append(f'<rect x="{lx}" y="6" width="11" height="11" rx="2" fill="{COLOURS[key]}"/>')
        body.append(charts._text(lx + 16, 16, names[key], size=11))
    return _wide_svg(width, height, body, title)


@dataclass
class WeekShare:
    start: date
    total: int
    negative: int

    @property
    def share(self) -> float | None:
        return self.negative / self.total if self.total else None


def weekly_negative_share(items: QuerySet[Item], weeks: int = 12) -> list[WeekShare]:
    """Comments and messages per calendar week (Monday first) and how many were negative.
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
    return out


def negative_share_chart(weeks: list[WeekShare], title: str) -> SafeString:
    """The share of negatives per week as a line; weeks without comments leave a gap, and
    the period's overall share is a dashed line to compare each week with."""
    width, height, left, right, top, bottom = 480, 220, 44, 12, 30, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    shares = [w.share for w in weeks]
    known = [v for v in shares if v is not None]
    # Multiples of 20 %, so the four steps read 5/10/15/20 %, 10/20/30/40 %, …
    peak = min(1.0, max(0.2, math.ceil(max(known, default=0.0) * 5 - 1e-9) / 5))
    body: list[str] = []
    _axis(body, (left, top, width - right, plot_h), peak * 100, peak * 25, "{:.0f}%")
    step = plot_w / max(len(weeks), 1)

    def point(i: int, value: float) -> tuple[float, float]:
        return left + i * step + step / 2, top + plot_h - plot_h * value / peak

    total = sum(w.total for w in weeks)
    if total:
        overall = sum(w.negative for w in weeks) / total
        _dashed(body, (left, width - right), point(0, overall)[1], COLOURS["negative"],
                width=1, opacity=0.6)
    runs: list[list[str]] = [[]]  # stretches of weeks with comments, joined by a line
    for i, (week, value) in enumerate(zip(weeks, shares, strict=True)):
        if value is None:
            runs.append([])
            continue
        x, y = point(i, value)
        runs[-1].append(f"{x:.1f},{y:.1f}")
        tip = _("Week of %(day)s: %(neg)s of %(total)s negative") % {
            "day": f"{week.start:%d.%m}", "neg": week.negative, "total": week.total}
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{COLOURS["negative"]}">'
                    f"<title>{escape(tip)}</title></circle>")
    body.extend(f'<polyline points="{" ".join(run)}" fill="none" '
                f'stroke="{COLOURS["negative"]}" stroke-width="2"/>' for run in runs if len(run) > 1)
    for i, week in enumerate(weeks):
        if i % 2 == (len(weeks) - 1) % 2:  # every other week, ending with this one
            body.append(charts._text(point(i, 0)[0], height - bottom + 15,
                                     f"{week.start:%d.%m}", size=10, anchor="middle"))
    if not total:
        _empty_note(body, width / 2, top + plot_h / 2, _("No comments yet."))
    return _wide_svg(width, height, body, title)


@dataclass
class DayResponse:
    day: date
    answered: int
    median_minutes: float | None


def daily_response_times(items: QuerySet[Item], days: int = 30) -> list[DayResponse]:
    """Median time to first response of the items received each day (answered ones)."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    per: dict[date, list[float]] = {}
    rows = items.filter(received_at__gte=since, first_response_at__isnull=False).values_list(
        "received_at", "first_response_at")
    for received, responded in rows:
        day = timezone.localtime(received).date()
        per.setdefault(day, []).append(max(0.0, (responded - received).total_seconds() / 60))
    span = [start + timedelta(days=i) for i in range(days)]
    return [DayResponse(d, len(per.get(d, [])),
                        statistics.median(per[d]) if d in per else None) for d in span]


def response_time_chart(days: list[DayResponse], target_minutes: int, title: str) -> SafeString:
    """Median first response per day as bars (red above the target), the target dashed."""
    width, height, left, right, top, bottom = 480, 220, 44, 12, 30, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    worst = max((d.median_minutes or 0.0 for d in days), default=0.0)
    peak, tick_step = count_axis(max(worst, float(target_minutes)))
    body: list[str] = []
    _axis(body, (left, top, width - right, plot_h), peak, tick_step)
    step = plot_w / max(len(days), 1)
    for i, day in enumerate(days):
        x = left + i * step + step * 0.15
        if day.median_minutes is not None:
            h = max(1.0, plot_h * day.median_minutes / peak)
            late = day.median_minutes > target_minutes
            tip = _("%(day)s: median %(minutes)s min over %(count)s answered") % {
                "day": f"{day.day:%d.%m}", "minutes": f"{day.median_minutes:.0f}",
                "count": day.answered}
            body.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
                        f'height="{h:.1f}" fill="{"#ef4444" if late else "#6366f1"}">'
                        f"<title>{escape(tip)}</title></rect>")
        if i % max(1, len(days) // 6) == 0:
            body.append(charts._text(x + step * 0.35, height - bottom + 15,
                                     f"{day.day:%d.%m}", size=10, anchor="middle"))
    y = top + plot_h - plot_h * target_minutes / peak
    _dashed(body, (left, width - right), y, "#f59e0b", width=1.5)
    body.append(charts._text(left + 4, y - 4,  # left: the newest days' bars are on the right
                             _("target %(minutes)s min") % {"minutes": target_minutes},
                             size=10, fill="#b45309"))
    if not any(d.answered for d in days):
        _empty_note(body, width / 2, top + plot_h / 2, _("No answers yet."))
    return _wide_svg(width, height, body, title)


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
