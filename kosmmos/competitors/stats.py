"""The comparison: the client's own communities and its competitors side by side for a period.

ER (engagement rate by followers) = mean(likes + comments + reposts per post) / followers × 100 %;
ERR (by reach) = mean(likes + comments + reposts per post) / mean(views per post) × 100 %.
Both from the posts published in the period, followers as of the period's end.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kosmmos.competitors.models import CommunityPost, Follow, Followers, KeyMove
from kosmmos.lib.charts import FAINT, INK, Canvas, time_lines

PERIODS = (7, 30, 90)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class Row:
    follow: Follow
    followers: int | None = None
    growth: int | None = None
    posts: int = 0
    per_week: float = 0.0
    formats: list[tuple[str, int]] = field(default_factory=list)
    likes: float = 0.0
    comments: float = 0.0
    reposts: float = 0.0
    views: float = 0.0
    er: float | None = None
    err: float | None = None
    ad_share: float = 0.0
    top: list[dict[str, Any]] = field(default_factory=list)
    heat: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    chart: SafeString | str = ""

    @property
    def community(self) -> Any:
        return self.follow.community


def compare(workspace: Any, days: int, now: datetime | None = None) -> list[Row]:
    """Every figure by aggregation in the database (a few queries, then one per community for
    its top posts), so the page stays quick at 50 competitors and 90 days."""
    now = now or timezone.now()
    start = now - timedelta(days=days)
    follows = list(Follow.objects.filter(workspace=workspace).select_related("community"))
    ids = [f.community_id for f in follows]
    rows = {f.community_id: Row(follow=f) for f in follows}
    tz = timezone.get_current_timezone()
    posts = CommunityPost.objects.filter(community_id__in=ids, published_at__gte=start,
                                         published_at__lte=now).order_by()
    for total in posts.values("community_id").annotate(
            n=Count("id"), likes=Sum("likes"), comments=Sum("comments"), reposts=Sum("reposts"),
            views=Sum("views"), ads=Count("id", filter=Q(is_ad=True))):
        row = rows[total["community_id"]]
        row.posts = total["n"]
        row.likes, row.comments = total["likes"] / row.posts, total["comments"] / row.posts
        row.reposts, row.views = total["reposts"] / row.posts, total["views"] / row.posts
        row.ad_share = total["ads"] / row.posts
    formats: dict[Any, Counter[str]] = defaultdict(Counter)
    for cid, fmt, n in posts.values_list("community_id", "format").annotate(n=Count("id")):
        formats[cid][fmt] += n
    for cid, weekday, hour, n in (
            posts.annotate(wd=ExtractIsoWeekDay("published_at", tzinfo=tz),
                           h=ExtractHour("published_at", tzinfo=tz))
            .values_list("community_id", "wd", "h").annotate(n=Count("id"))):
        rows[cid].heat[weekday - 1][hour] += n
    counts = _followers(ids, timezone.localdate(start), timezone.localdate(now))
    engagement = F("likes") + F("comments") + F("reposts")
    for cid, row in rows.items():
        found = counts.get(cid, {})
        row.followers = found.get("end") if found.get("end") is not None else (
            row.community.followers)
        begin = found.get("start")
        if begin is not None and row.followers is not None:
            row.growth = row.followers - begin
        row.per_week = row.posts * 7 / days
        if row.posts:
            mean = row.likes + row.comments + row.reposts
            row.er = mean / row.followers * 100 if row.followers else None
            row.err = mean / row.views * 100 if row.views else None
            row.top = [{"text": text[:140], "url": url, "at": at, "engagement": e, "views": v}
                       for text, url, at, e, v in posts.filter(community_id=cid)
                       .annotate(e=engagement).order_by("-e", "-published_at")
                       .values_list("text", "url", "published_at", "e", "views")[:3]]
        row.formats = formats[cid].most_common()
    return [rows[f.community_id] for f in follows]


def _followers(ids: list[Any], first: date, last: date) -> dict[Any, dict[str, int | None]]:
    out: dict[Any, dict[str, int | None]] = defaultdict(lambda: {"start": None, "end": None})
    for cid, _day, value in (Followers.objects.filter(community_id__in=ids, day__gte=first,
                                                     day__lte=last)
                            .order_by("day").values_list("community_id", "day", "followers")):
        if out[cid]["start"] is None:
            out[cid]["start"] = value
        out[cid]["end"] = value
    return out


def followers_chart(rows: list[Row], days: int) -> SafeString:
    ids = [r.follow.community_id for r in rows]
    names = {r.follow.community_id: str(r.community) for r in rows}
    first = timezone.localdate() - timedelta(days=days)
    series: dict[Any, list[tuple[datetime, float]]] = defaultdict(list)
    for cid, day, value in (Followers.objects.filter(community_id__in=ids, day__gte=first)
                            .order_by("day").values_list("community_id", "day", "followers")):
        series[cid].append((timezone.make_aware(datetime.combine(day, datetime.min.time())),
                            float(value)))
    return time_lines([(names[c], series[c]) for c in ids if series[c]], _("Followers"))


def heatmap(row: Row, brand: str = "#4f46e5") -> SafeString:
    """Posts by weekday and hour: a 7 × 24 grid, darker = more posts."""
    cell, left, top = 13, 30, 14
    canvas = Canvas(left + 24 * cell + 4, top + 7 * cell + 4)
    peak = max((n for line in row.heat for n in line), default=0) or 1
    for hour in range(0, 24, 6):
        canvas.text(left + hour * cell, 10, f"{hour:02d}", size=8, fill=FAINT)
    for day, line in enumerate(row.heat):
        canvas.text(2, top + day * cell + 10, _(WEEKDAYS[day]), size=8, fill=INK)
        for hour, n in enumerate(line):
            shade = 0.08 + 0.92 * n / peak if n else 0.04
            canvas.rect(left + hour * cell, top + day * cell, cell - 1, cell - 1,
                        _mix(brand, shade), tip=f"{_(WEEKDAYS[day])} {hour:02d}:00 — {n}")
    return canvas.svg(_("Posting times of %(name)s") % {"name": row.community})


def _mix(colour: str, share: float) -> str:
    """``colour`` over white at ``share`` opacity, as a hex colour."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{int(255 - (255 - c) * share):02x}" for c in rgb)


def moves(workspace: Any, limit: int = 30) -> list[KeyMove]:
    ids = Follow.objects.filter(workspace=workspace, own=False).values("community_id")
    return list(KeyMove.objects.filter(community_id__in=ids)
                .select_related("community", "post")[:limit])
