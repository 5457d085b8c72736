"""The collector: read one community (once per round for all its followers) and keep what it
found. Rows come off ``reads`` (jobs.queue.RowQueue) through the ticker (dispatch.py)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kosmmos.competitors.models import (
    MAX_BACKOFF,
    ROUND,
    Community,
    CommunityPost,
    Follow,
    Followers,
    KeyMove,
    PublicKeys,
    ReadAttempt,
    Status,
)
from kosmmos.competitors.moves import detect
from kosmmos.connectors import public
from kosmmos.connectors.base import ConnectorError, RateLimited
from kosmmos.jobs.queue import RowQueue
from kosmmos.lib.events import emit
from kosmmos.lib.untrusted import clean_text, cut_text

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
TEXT_MAX = 5000
# An ad post: the erid token or the word «Реклама» (38-FZ marking), or the network's own mark.
AD_MARK = re.compile(r"\berid\b|реклама", re.IGNORECASE)

reads = RowQueue(model=Community, task="kosmmos.competitors.tasks:read_community",
                 running=Status.RUNNING)


def keys_for(community: Community) -> dict[str, str]:
    """The keys of the first organisation (by when it started following) that has them."""
    orgs = list(Follow.objects.filter(community=community).order_by("created_at")
                .values_list("organisation_id", flat=True).distinct())
    found = {k.organisation_id: k for k in PublicKeys.objects.filter(organisation_id__in=orgs)}
    for org in orgs:
        if org in found:
            keys = found[org].read()
            if _has_keys(community.network, keys):
                return keys
    return {}


def _has_keys(network: str, keys: Mapping[str, str]) -> bool:
    need = {"vk": ("vk_service_token",), "ok": ("ok_application_key", "ok_secret_key")}
    return all(keys.get(k) for k in need.get(network, ()))


def read_community(pk: Any) -> str:
    """One round for one community; returns what happened (ok, rate_limited, failed, lost)."""
    if not reads.start(pk, LEASE):
        return "lost"
    community = Community.objects.get(pk=pk)
    started, clock = timezone.now(), time.monotonic()
    try:
        snapshot = public.read(community.network, community.handle, keys_for(community))
    except RateLimited as exc:
        _back(community, started, clock, exc.message, timedelta(seconds=exc.retry_after),
              count=False)
        return "rate_limited"
    except ConnectorError as exc:
        wait = min(ROUND * 2 ** community.attempts, MAX_BACKOFF)
        _back(community, started, clock, exc.message, wait, failed=exc.permanent)
        return "failed"
    keep(community, snapshot, started, clock)
    return "ok"


def _back(community: Community, started: datetime, clock: float, error: str, wait: timedelta,
          *, failed: bool = False, count: bool = True) -> None:
    with transaction.atomic():
        Community.objects.filter(pk=community.pk, status=Status.RUNNING).update(
            status=Status.FAILED if failed else Status.PENDING, lease_until=None,
            next_attempt_at=timezone.now() + wait, last_error=error[:2000],
            attempts=F("attempts") + (1 if count else 0))
        ReadAttempt.objects.create(community=community, started_at=started, error=error[:2000],
                                   duration_ms=int((time.monotonic() - clock) * 1000))


def keep(community: Community, snapshot: public.Snapshot, started: datetime,
         clock: float) -> list[KeyMove]:
    """Store a read: the community's name and followers, today's followers row, the posts (new
    ones created, known ones' counters updated), the attempt; then the key moves and their
    alerts, all in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        known = {p.external_id: p for p in CommunityPost.objects.filter(
            community=community, external_id__in=[p.external_id for p in snapshot.posts])}
        new: list[CommunityPost] = []
        changed: list[CommunityPost] = []
        for post in snapshot.posts:
            row = known.get(post.external_id)
            counters = {"likes": max(post.likes, 0), "comments": max(post.comments, 0),
                        "reposts": max(post.reposts, 0), "views": max(post.views, 0)}
            if row is None:
                text = cut_text(clean_text(post.text), TEXT_MAX)[0]
                new.append(CommunityPost(
                    community=community, external_id=clean_text(post.external_id)[:64],
                    published_at=min(post.published_at, now), text=text, url=post.url[:300],
                    format=post.format[:8], is_ad=post.marked_ad or bool(AD_MARK.search(text)),
                    first_seen_at=now, updated_at=now, **counters))
            elif any(getattr(row, k) != v for k, v in counters.items()):
                for k, v in counters.items():
                    setattr(row, k, v)
                row.updated_at = now
                changed.append(row)
        CommunityPost.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
        CommunityPost.objects.bulk_update(changed, ["likes", "comments", "reposts", "views",
                                                    "updated_at"], batch_size=500)
        if snapshot.followers is not None:
            Followers.objects.update_or_create(community=community, day=timezone.localdate(),
                                               defaults={"followers": snapshot.followers})
        Community.objects.filter(pk=community.pk).update(
            name=clean_text(snapshot.name)[:300], external_id=snapshot.external_id[:64],
            url=snapshot.url[:300], followers=snapshot.followers, status=Status.PENDING,
            lease_until=None, next_attempt_at=now + ROUND, attempts=0, last_error="",
            last_read_at=now, reads=F("reads") + 1)
        ReadAttempt.objects.create(community=community, started_at=started, ok=True,
                                   new_posts=len(new),
                                   duration_ms=int((time.monotonic() - clock) * 1000))
        stored = list(CommunityPost.objects.filter(
            community=community, external_id__in=[p.external_id for p in new]))
        moves = detect(community, stored, now)
        for move in moves:
            announce(community, move)
    return moves


def announce(community: Community, move: KeyMove) -> None:
    """One alert per workspace following the community as a competitor."""
    follows = Follow.objects.filter(community=community, own=False).select_related("workspace")
    for follow in follows:
        emit("competitors.key_move", organisation=follow.organisation_id,
             workspace=follow.workspace,
             title=_("%(community)s: %(move)s") % {"community": community.name or community.handle,
                                                   "move": move.get_kind_display()},
             body=move.detail + (f"\n{move.post.url}" if move.post else ""),
             url=f"/competitors/{follow.workspace_id}/#moves",
             dedupe_key=f"key_move:{move.pk}:{follow.workspace_id}",
             payload={"community": str(community.pk), "kind": move.kind,
                      "post_url": move.post.url if move.post else ""})


def retry(pk: uuid.UUID) -> bool:
    """A person retries a failed community: due now."""
    return reads.retry_failed(pk)
