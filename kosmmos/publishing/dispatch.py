"""Hand due targets to the workers, and put back what a lost message or a dead worker left.

Run by every worker's ticker (kosmmos/jobs/ticker.py) once a tick. Each function claims rows
with a conditional update and enqueues thin tasks carrying batches of ids.

Look-ahead: a post due within ``PUBLISH_LOOKAHEAD_SECONDS`` is claimed now and the task waits
for its exact second, so the tick (1 s) does not add up to a second of lateness. Rows are
claimed most overdue first, and a big burst is split into batches spread over both workers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kosmmos.channels.models import Channel, ChannelStatus
from kosmmos.content.models import PostTarget, TargetStatus
from kosmmos.publishing.engine import (
    SEND_MARGIN,
    call_grace,
    claim,
    lease,
    owner_is_gone,
    worker_name,
)
from kosmmos.publishing.models import PublishAttempt

log = logging.getLogger(__name__)
Outcome = PublishAttempt.Outcome

CLAIM_LIMIT = 2000
SWEEP_LIMIT = 500
STATS_LIMIT = 200
# A queued batch not taken by a worker by then is presumed lost (broker restart, a killed worker
# that had prefetched it) and sent again; a second copy is harmless (the task claims again).
REQUEUE_AFTER = timedelta(seconds=5)


def _batches(ids: Sequence[Any], size: int) -> list[list[str]]:
    return [[str(i) for i in ids[s:s + size]] for s in range(0, len(ids), size)]


def _send(task: Callable[..., Any], *args: Any) -> None:
    try:
        task.delay(*args)
    except Exception:  # the sweep or the next claim retries; nothing is lost
        log.exception("could not enqueue %s", task.name)


def enqueue_publish(ids: Sequence[Any]) -> None:
    from kosmmos.publishing.tasks import publish_targets

    for batch in _batches(ids, settings.PUBLISH_BATCH):
        _send(publish_targets, batch)


def dispatch_due() -> int:
    """scheduled → queued for targets due within the look-ahead; most overdue first."""
    now = timezone.now()
    horizon = now + timedelta(seconds=settings.PUBLISH_LOOKAHEAD_SECONDS)
    due = PostTarget.objects.filter(next_attempt_at__lte=horizon)
    _token, ids = claim(due, TargetStatus.SCHEDULED, CLAIM_LIMIT, status=TargetStatus.QUEUED,
                        enqueued_at=now)
    if ids:
        # Keep the claim order (most overdue first) in the batches.
        order = dict(PostTarget.objects.filter(pk__in=ids).values_list("pk", "next_attempt_at"))
        enqueue_publish(sorted(ids, key=lambda pk: order[pk] or now))
    return len(ids)


def dispatch_reconcile() -> int:
    """Targets whose outcome is unknown: look them up. The claim pushes next_attempt_at a lease
    ahead, so a reconciler that dies is replaced when it passes."""
    from kosmmos.publishing.tasks import reconcile_targets

    now = timezone.now()
    due = PostTarget.objects.filter(next_attempt_at__lte=now)
    token, ids = claim(due, TargetStatus.RECONCILING, CLAIM_LIMIT,
                       next_attempt_at=now + lease())
    for batch in _batches(ids, settings.PUBLISH_BATCH):
        _send(reconcile_targets, batch, token)
    return len(ids)


def dispatch_actions() -> int:
    """Edits and deletes owed to the network for published posts."""
    from kosmmos.publishing.tasks import run_actions

    now = timezone.now()
    due = PostTarget.objects.exclude(pending_action="").filter(action_due_at__lte=now)
    token, ids = claim(due, TargetStatus.PUBLISHED, STATS_LIMIT, order=("action_due_at",),
                       action_due_at=now + lease())
    for batch in _batches(ids, settings.PUBLISH_BATCH):
        _send(run_actions, batch, token)
    return len(ids)


def gone_owners() -> set[str]:
    """Claim tokens of publishing/reconciling rows whose worker process is gone (engine.py
    owner_is_gone: same machine, pid no longer running). Few distinct tokens: one per batch."""
    tokens = (PostTarget.objects.filter(status__in=(TargetStatus.PUBLISHING,
                                                    TargetStatus.RECONCILING))
              .exclude(lease_owner="").values_list("lease_owner", flat=True).distinct())
    return {t for t in tokens[:2000] if owner_is_gone(t)}


def sweep_stuck() -> int:
    """Re-send lost messages; hand posts of dead workers to reconciliation (never a resend).

    A worker is dead when its lease ran out, or at once when its process is seen gone (a crash or
    SIGKILL on this machine). Then its calls in flight may still land, so the post is looked up
    only after its connector's longest call (call_grace) from the last moment it could have
    started one, never re-sent before that.
    """
    now = timezone.now()
    gone = gone_owners()
    with transaction.atomic():
        lost = PostTarget.objects.filter(status=TargetStatus.QUEUED,
                                         enqueued_at__lt=now - REQUEUE_AFTER)
        if settings.IS_POSTGRES:
            lost = lost.select_for_update(skip_locked=True)
        lost_rows = list(lost.values_list("pk", "attempts")[:SWEEP_LIMIT])
        PostTarget.objects.filter(pk__in=[pk for pk, _ in lost_rows],
                                  status=TargetStatus.QUEUED).update(enqueued_at=now)
        is_dead = Q(lease_until__lt=now) | Q(lease_owner__in=gone)
        dead = PostTarget.objects.filter(is_dead, status=TargetStatus.PUBLISHING)
        if settings.IS_POSTGRES:
            dead = dead.select_for_update(skip_locked=True)
        dead_rows = list(dead.values_list("pk", "attempts", "lease_owner", "lease_until",
                                          "channel__network")[:SWEEP_LIMIT])
        looks: dict[Any, list[Any]] = {}
        for pk, _n, _owner, until, network in dead_rows:
            # The worker starts no call with less than SEND_MARGIN of its lease left (a gone one
            # none after now), and a call started may land up to the connector's longest call
            # later: a lease that ran out a second ago does not mean its last call has landed.
            last_start = now if until is None else min(now, until - timedelta(seconds=SEND_MARGIN))
            looks.setdefault(max(now, last_start + call_grace(network)), []).append(pk)
        for look_at, pks in looks.items():
            PostTarget.objects.filter(is_dead, pk__in=pks, status=TargetStatus.PUBLISHING).update(
                status=TargetStatus.RECONCILING, next_attempt_at=look_at, lease_owner="",
                lease_until=None, checks=0)
        # Look-ups of a gone reconciler are read-only: they may start again at once.
        PostTarget.objects.filter(status=TargetStatus.RECONCILING, lease_owner__in=gone).update(
            lease_owner="", next_attempt_at=now)
        me = worker_name()
        PublishAttempt.objects.bulk_create(
            [PublishAttempt(target_id=pk, number=n + 1, action="sweep", started_at=now,
                            outcome=Outcome.REQUEUED, worker=me) for pk, n in lost_rows]
            + [PublishAttempt(target_id=pk, number=n + 1, action="sweep", started_at=now,
                              outcome=Outcome.LEASE_EXPIRED, worker=owner[:100],
                              error="The worker stopped before finishing; checking the network.")
               for pk, n, owner, _until, _net in dead_rows])
    if lost_rows:
        log.warning("re-sending %d queued posts whose message was lost", len(lost_rows))
        enqueue_publish([pk for pk, _ in lost_rows])
    if dead_rows:
        log.warning("%d posts of a lost worker go to reconciliation", len(dead_rows))
    return len(lost_rows) + len(dead_rows)


def dispatch_stats() -> int:
    """Post stats by age, and the daily followers of each channel."""
    from kosmmos.publishing.tasks import collect_followers, collect_post_stats

    now = timezone.now()
    due = PostTarget.objects.filter(next_stats_at__lte=now)
    _token, ids = claim(due, TargetStatus.PUBLISHED, STATS_LIMIT, order=("next_stats_at",),
                        next_stats_at=now + lease() * 6)
    for batch in _batches(ids, 100):
        _send(collect_post_stats, batch)
    with transaction.atomic():
        channels = Channel.objects.filter(status=ChannelStatus.ACTIVE).filter(
            Q(next_stats_at__lte=now) | Q(next_stats_at__isnull=True))
        if settings.IS_POSTGRES:
            channels = channels.select_for_update(skip_locked=True)
        channel_ids = list(channels.order_by("next_stats_at").values_list("pk", flat=True)[
            :STATS_LIMIT])
        Channel.objects.filter(pk__in=channel_ids).update(next_stats_at=now + timedelta(hours=1))
    for batch in _batches(channel_ids, 50):
        _send(collect_followers, batch)
    return len(ids) + len(channel_ids)


def kick() -> None:
    """Claim what is due now instead of at the next tick (after scheduling a post for now)."""
    try:
        dispatch_due()
    except Exception:
        log.exception("immediate dispatch failed; the ticker will do it")

