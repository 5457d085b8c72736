"""Key moves: what a competitor did that a manager should hear about.

- engagement: a post of the last week with likes + comments + reposts over 3× the median of the
  community's own posts of the previous 30 days (at least 10 of them, and at least 20);
- frequency: posts in the last 7 days at least double, or at most half, the weekly average of the
  28 days before (a baseline of at least two posts a week);
- promo: a post of the last two days, new to us, announcing a giveaway or a discount (the words
  below);
- followers: a day's growth over 5× the median daily change of the previous 14 days and over 1 %
  of the followers.

Each move is stored once per (community, kind, key) — a post's id, a week, a day — so reading
the same posts again finds nothing new.
"""

from __future__ import annotations

import re
import statistics
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kosmmos.competitors.models import Community, CommunityPost, Followers, KeyMove, MoveKind

PROMO = re.compile(
    r"розыгрыш|разыгрыва|конкурс|giveaway|скидк|промокод|распродаж|акци[яи]\b|\bsale\b|"
    r"discount|\d+\s?%\s?(off|скидк)", re.IGNORECASE)
ENGAGEMENT_TIMES, ENGAGEMENT_FLOOR, ENGAGEMENT_HISTORY = 3.0, 20, 10
FRESH = timedelta(days=2)


def detect(community: Community, new_posts: list[CommunityPost], now: datetime) -> list[KeyMove]:
    """The moves found after a read (only those not stored before)."""
    found: list[KeyMove] = []
    history = list(CommunityPost.objects.filter(
        community=community, published_at__gte=now - timedelta(days=37),
        published_at__lt=now - timedelta(days=7)).values_list("likes", "comments", "reposts"))
    median = statistics.median([sum(r) for r in history]) if history else 0
    if len(history) >= ENGAGEMENT_HISTORY:
        recent = CommunityPost.objects.filter(community=community,
                                              published_at__gte=now - timedelta(days=7))
        for post in recent:
            if post.engagement >= max(ENGAGEMENT_FLOOR, ENGAGEMENT_TIMES * median + 1):
                found += _keep(community, MoveKind.ENGAGEMENT, post.external_id, post, _(
                    "A post with %(n)s reactions, %(x).1f× the community's median of %(m)s.")
                    % {"n": post.engagement, "x": post.engagement / max(median, 1), "m": median})
    for post in new_posts:
        # Only what was just published: the first read of a community brings its history.
        if post.published_at >= now - FRESH and PROMO.search(post.text):
            found += _keep(community, MoveKind.PROMO, post.external_id, post, _(
                "A giveaway or a discount: «%(text)s»") % {"text": post.text[:200]})
    found += _frequency(community, now)
    found += _followers(community, now.date())
    return found


def _frequency(community: Community, now: datetime) -> list[KeyMove]:
    posts = CommunityPost.objects.filter(community=community)
    week = posts.filter(published_at__gte=now - timedelta(days=7)).count()
    before = posts.filter(published_at__gte=now - timedelta(days=35),
                          published_at__lt=now - timedelta(days=7)).count() / 4
    if before < 2 or not (week >= 2 * before or week <= before / 2):
        return []
    iso = now.isocalendar()
    return _keep(community, MoveKind.FREQUENCY, f"{iso.year}-W{iso.week}", None, _(
        "%(week)s posts in the last 7 days against %(usual).1f a week before.")
        % {"week": week, "usual": before})


def _followers(community: Community, today: date) -> list[KeyMove]:
    counts = dict(Followers.objects.filter(community=community,
                                           day__gte=today - timedelta(days=15))
                  .values_list("day", "followers"))
    if today not in counts or today - timedelta(days=1) not in counts:
        return []
    changes = [counts[d] - counts[d - timedelta(days=1)]
               for d in (today - timedelta(days=i) for i in range(2, 15))
               if d in counts and d - timedelta(days=1) in counts]
    if len(changes) < 5:
        return []
    jump = counts[today] - counts[today - timedelta(days=1)]
    usual = max(abs(statistics.median(changes)), 1)
    if jump <= 5 * usual or jump <= counts[today] * 0.01:
        return []
    return _keep(community, MoveKind.FOLLOWERS, today.isoformat(), None, _(
        "+%(jump)s followers in a day; a usual day brings %(usual)s.")
        % {"jump": jump, "usual": int(usual)})


def _keep(community: Community, kind: str, key: str, post: CommunityPost | None,
          detail: str) -> list[KeyMove]:
    try:
        with transaction.atomic():
            return [KeyMove.objects.create(community=community, kind=kind, key=key[:100],
                                           post=post, detail=detail[:500])]
    except IntegrityError:
        return []
