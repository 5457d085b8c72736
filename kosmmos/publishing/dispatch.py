"""Hand due targets to the workers, and put back what a lost message or a dead worker left.

Run by every worker's ticker (kosmmos/jobs/ticker.py) once a tick. Each function claims rows
with a conditional update and enqueues thin tasks carrying batches of ids.

Look-ahead: a post due within ``PUBLISH_LOOKAHEAD_SECONDS`` is claimed now and the task waits
for its exact second, so the tick (1 s) does not add up to a second of lateness. Rows are
claimed most overdue first, and a big burst is split into batches spread over both workers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kosmmos.channels.models import Channel, ChannelStatus
from kosmmos.content.models import PostTarget, TargetStatus
from kosmmos.jobs.queue import RowQueue, send_batches
from kosmmos.publishing.leases import (
    SEND_MARGIN,
    call_grace,
    lease,
    new_token,
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

# The due-row kinds of a post target. Their tasks are named, not imported: tasks.py sits above
# this module and the modules doing the work.
TASKS = "kosmmos.publishing.tasks"
# scheduled → queued (here) → publishing (the task) → published, or back to scheduled.
POSTS = RowQueue(PostTarget, task=f"{TASKS}:publish_targets", pending=TargetStatus.SCHEDULED,
                 queued=TargetStatus.QUEUED, running=TargetStatus.PUBLISHING,
                 batch=CLAIM_LIMIT, requeue_after=REQUEUE_AFTER)
# The claims below keep the status and push the due column a lease ahead: a task that never
# runs leaves the rows due again then.
LOOK_UPS = RowQueue(PostTarget, task=f"{TASKS}:reconcile_targets",
                    pending=TargetStatus.RECONCILING, queued=TargetStatus.RECONCILING,
                    running=TargetStatus.RECONCILING, batch=CLAIM_LIMIT)
EDITS = RowQueue(PostTarget, task=f"{TASKS}:run_actions", pending=TargetStatus.PUBLISHED,
                 queued=TargetStatus.PUBLISHED, running=TargetStatus.PUBLISHED,
                 due_field="action_due_at", batch=STATS_LIMIT)
STATS = RowQueue(PostTarget, task=f"{TASKS}:collect_post_stats", pending=TargetStatus.PUBLISHED,
                 queued=TargetStatus.PUBLISHED, running=TargetStatus.PUBLISHED,
                 due_field="next_stats_at", batch=STATS_LIMIT)
FOLLOWERS_TASK = f"{TASKS}:collect_followers"


def enqueue_publish(ids: Sequence[Any]) -> None:
    POSTS.enqueue_batches(ids, size=settings.PUBLISH_BATCH)


def dispatch_due() -> int:
    """scheduled → queued for targets due within the look-ahead; most overdue first (the
    batches keep the claim's order)."""
    ids = POSTS.claim_ahead(("lease_owner", new_token()),
                            ahead=timedelta(seconds=settings.PUBLISH_LOOKAHEAD_SECONDS))
    if ids:
        enqueue_publish(ids)
    return len(ids)


def dispatch_reconcile() -> int:
    """Targets whose outcome is unknown: look them up. The claim pushes next_attempt_at a lease
    ahead, so a reconciler that dies is replaced when it passes."""
    token = new_token()
    ids = LOOK_UPS.claim_ahead(("lease_owner", token), hold=lease())
    LOOK_UPS.enqueue_batches(ids, token, size=settings.PUBLISH_BATCH)
    return len(ids)


def dispatch_actions() -> int:
    """Edits and deletes owed to the network for published posts."""
    token = new_token()
    ids = EDITS.claim_ahead(("lease_owner", token), hold=lease(), where=~Q(pending_action=""))
    EDITS.enqueue_batches(ids, token, size=settings.PUBLISH_BATCH)
    return len(ids)


def gone_owners() -> set[str]:
    """Claim tokens of publishing/reconciling rows whose worker process is gone (leases.py
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
        lost_rows = POSTS.take_lost(("pk", "attempts"), SWEEP_LIMIT)
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
    now = timezone.now()
    ids = STATS.claim_ahead(("lease_owner", new_token()), hold=lease() * 6)
    STATS.enqueue_batches(ids, size=100)
    with transaction.atomic():
        channels = Channel.objects.filter(status=ChannelStatus.ACTIVE).filter(
            Q(next_stats_at__lte=now) | Q(next_stats_at__isnull=True))
        if settings.IS_POSTGRES:
            channels = channels.select_for_update(skip_locked=True)
        channel_ids = list(channels.order_by("next_stats_at").values_list("pk", flat=True)[
            :STATS_LIMIT])
        Channel.objects.filter(pk__in=channel_ids).update(next_stats_at=now + timedelta(hours=1))
    send_batches(FOLLOWERS_TASK, channel_ids, size=50)
    return len(ids) + len(channel_ids)


def kick() -> None:
    """Claim what is due now instead of at the next tick (after scheduling a post for now)."""
    try:
        dispatch_due()
    except Exception:
        log.exception("immediate dispatch failed; the ticker will do it")

