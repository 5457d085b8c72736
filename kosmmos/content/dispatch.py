"""Hand big imports to the workers, and put back what a lost message or a dead worker left.

Registered in ``kosmmos.jobs.ticker.DISPATCHERS``. An import resumes at the first line without a
report row, so running it again never imports a line twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from kosmmos.content.models import ImportRun
from kosmmos.jobs.claims import claim_batch, claim_one

log = logging.getLogger(__name__)

BATCH = 20
REQUEUE_AFTER = timedelta(minutes=2)
Status = ImportRun.Status


def enqueue(run_id: object) -> None:
    from kosmmos.content.tasks import import_plan

    try:
        import_plan.delay(str(run_id))
    except Exception:
        log.exception("could not enqueue import %s; the sweep will retry", run_id)


def kick(run_id: object) -> None:
    """Claim a pending import and enqueue it now rather than at the next tick."""
    if claim_one(ImportRun, run_id, Status.PENDING, status=Status.QUEUED, enqueued_at=timezone.now()):
        enqueue(run_id)


def dispatch_due() -> int:
    now = timezone.now()
    ids = claim_batch(ImportRun.objects.all(), Status.PENDING, BATCH, status=Status.QUEUED, enqueued_at=now)
    for pk in ids:
        enqueue(pk)
    return len(ids)


def sweep_stuck() -> int:
    now = timezone.now()
    lost = list(ImportRun.objects.filter(status=Status.QUEUED, enqueued_at__lt=now - REQUEUE_AFTER)
                .values_list("pk", flat=True)[:BATCH])
    for pk in lost:
        if ImportRun.objects.filter(pk=pk, status=Status.QUEUED,
                                    enqueued_at__lt=now - REQUEUE_AFTER).update(enqueued_at=now):
            enqueue(pk)
    dead = ImportRun.objects.filter(status=Status.RUNNING, lease_until__lt=now).update(
        status=Status.PENDING, lease_until=None)
    return len(lost) + dead
