"""The calendar's arithmetic: which days a month/week/list view shows and which posts fall on them."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Prefetch, QuerySet

from kosmmos.content.models import Post, PostTarget

VIEWS = ("month", "week", "list")


@dataclass
class Day:
    date: date
    in_period: bool
    today: bool
    posts: list[Post] = field(default_factory=list)
    more: int = 0  # posts of this day left out of its cell (see day_window)


@dataclass
class Period:
    view: str
    anchor: date
    start: date  # first day shown
    end: date  # day after the last day shown
    previous: date
    next: date

    @classmethod
    def of(cls, view: str, anchor: date) -> Period:
        view = view if view in VIEWS else "month"
        if view == "week":
            start = anchor - timedelta(days=anchor.weekday())
            return cls(view, anchor, start, start + timedelta(days=7), anchor - timedelta(days=7),
                       anchor + timedelta(days=7))
        first = anchor.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        previous = (first - timedelta(days=1)).replace(day=1)
        if view == "list":
            return cls(view, anchor, first, following, previous, following)
        start = first - timedelta(days=first.weekday())
        end = following + timedelta(days=(7 - following.weekday()) % 7)
        return cls(view, anchor, start, end, previous, following)

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    def bounds(self, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
        return (datetime.combine(self.start, datetime.min.time(), zone),
                datetime.combine(self.end, datetime.min.time(), zone))

    def in_period(self, day: date) -> bool:
        if self.view == "month":
            return day.month == self.anchor.month
        return True


def with_targets(posts: QuerySet[Post]) -> QuerySet[Post]:
    return posts.select_related("rubric", "workspace", "organisation").prefetch_related(
        Prefetch("targets", queryset=PostTarget.objects.select_related("channel").order_by(
            "channel__network", "channel__name")))


# Cards per day in a month cell; the rest of the day is one click away, in its week. An agency's
# month holds well over a thousand posts: rendering every card made the page megabytes long.
MONTH_CARDS_PER_DAY = 5
# A week column is taller, so more; its "show more" opens that one day whole.
WEEK_CARDS_PER_DAY = 20
CARDS_PER_DAY = {"month": MONTH_CARDS_PER_DAY, "week": WEEK_CARDS_PER_DAY}
TROUBLE = ("failed", "needs_check")


def day_window(posts: QuerySet[Post], zone: zoneinfo.ZoneInfo, per_day: int,
               whole: date | None = None) -> tuple[list[Any], dict[date, int], int]:
    """Which posts of ``posts`` (one period, in order) a month or week view shows: each day's
    first ``per_day`` (all of the ``whole`` day) and every post with a failed or unchecked
    publication (its card holds the retry button). Returns their ids, how many each day leaves
    out, and the troubled count."""
    troubled = set(posts.filter(targets__status__in=TROUBLE).values_list("pk", flat=True))
    shown: list[Any] = []
    counted: dict[date, int] = {}
    more: dict[date, int] = {}
    for pk, publish_at in posts.values_list("pk", "publish_at"):
        if publish_at is None:  # the caller passes dated posts; an undated one has no day
            continue
        day = publish_at.astimezone(zone).date()
        counted[day] = counted.get(day, 0) + 1
        if counted[day] <= per_day or pk in troubled or day == whole:
            shown.append(pk)
        else:
            more[day] = more.get(day, 0) + 1
    return shown, more, len(troubled)


def month_window(posts: QuerySet[Post], zone: zoneinfo.ZoneInfo
                 ) -> tuple[list[Any], dict[date, int], int]:
    return day_window(posts, zone, MONTH_CARDS_PER_DAY)


def days(period: Period, posts: list[Post], zone: zoneinfo.ZoneInfo, today: date,
         more: dict[date, int] | None = None) -> list[Day]:
    by_day: dict[date, list[Post]] = {}
    for post in posts:
        if post.publish_at is not None:
            by_day.setdefault(post.publish_at.astimezone(zone).date(), []).append(post)
    out: list[Day] = []
    current = period.start
    while current < period.end:
        out.append(Day(current, period.in_period(current), current == today,
                       by_day.get(current, []), (more or {}).get(current, 0)))
        current += timedelta(days=1)
    return out


def weeks(day_list: list[Day]) -> list[list[Day]]:
    return [day_list[i:i + 7] for i in range(0, len(day_list), 7)]


def networks_of(post: Post) -> list[str]:
    return list(dict.fromkeys(t.channel.network for t in post.targets.all()))


def annotate(posts: list[Post]) -> list[Any]:
    """Attach what the cards show without more queries: networks and failed targets."""
    for post in posts:
        targets = list(post.targets.all())
        post.networks = list(dict.fromkeys(t.channel.network for t in targets))  # type: ignore[attr-defined]  # for the card
        post.troubles = [t for t in targets if t.status in {"failed", "needs_check"}]  # type: ignore[attr-defined]  # for the card
    return posts
