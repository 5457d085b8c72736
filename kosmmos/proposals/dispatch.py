"""Hand due draft jobs to the workers, and put back what a lost message or a dead worker left."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from kosmmos.jobs.claims import claim_batch
from kosmmos.proposals.models import DraftJob, JobStatus

log = logging.getLogger(__name__)

BATCH = 50
REQUEUE_AFTER = timedelta(minutes=2)


def enqueue(job_id: object) -> None:
    """Put the id on the queue; a broker failure only delays the draft (the sweep re-sends)."""
    from kosmmos.proposals.tasks import draft_proposal

    try:
        draft_proposal.delay(str(job_id))
    except Exception:
        log.exception("could not enqueue draft job %s; the sweep will retry", job_id)


def dispatch_due() -> int:
    now = timezone.now()
    due = DraftJob.objects.filter(next_attempt_at__lte=now)
    ids = claim_batch(due, JobStatus.PENDING, BATCH, status=JobStatus.QUEUED, enqueued_at=now)
    for pk in ids:
        enqueue(pk)
    return len(ids)


def sweep_stuck() -> int:
    now = timezone.now()
    lost = list(
        DraftJob.objects.filter(status=JobStatus.QUEUED, enqueued_at__lt=now - REQUEUE_AFTER)
        .values_list("pk", flat=True)[:BATCH]
    )
    for pk in lost:
        if DraftJob.objects.filter(
            pk=pk, status=JobStatus.QUEUED, enqueued_at__lt=now - REQUEUE_AFTER
        ).update(enqueued_at=now):
            enqueue(pk)
    dead = DraftJob.objects.filter(status=JobStatus.RUNNING, lease_until__lt=now).update(
        status=JobStatus.PENDING, next_attempt_at=now, lease_until=None
    )
    return len(lost) + dead
