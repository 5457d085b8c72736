"""Hand due emails to the workers, and put back what a lost message or a dead worker left."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from kosmmos.jobs.claims import claim_batch
from kosmmos.mail.models import Delivery, Status

log = logging.getLogger(__name__)

BATCH = 200
# A queued message not picked up by then is assumed lost (broker restart) and sent again.
REQUEUE_AFTER = timedelta(minutes=2)


def enqueue(delivery_id: object) -> None:
    """Put the id on the queue; a broker failure only delays the email (the sweep re-sends)."""
    from kosmmos.mail.tasks import send_delivery

    try:
        send_delivery.delay(str(delivery_id))
    except Exception:
        log.exception("could not enqueue delivery %s; the sweep will retry", delivery_id)


def dispatch_due() -> int:
    now = timezone.now()
    due = Delivery.objects.filter(next_attempt_at__lte=now)
    ids = claim_batch(due, Status.PENDING, BATCH, status=Status.QUEUED, enqueued_at=now)
    for pk in ids:
        enqueue(pk)
    return len(ids)


def sweep_stuck() -> int:
    now = timezone.now()
    lost = list(
        Delivery.objects.filter(status=Status.QUEUED, enqueued_at__lt=now - REQUEUE_AFTER)
        .values_list("pk", flat=True)[:BATCH]
    )
    for pk in lost:
        # Conditional, so two sweepers re-enqueue a row once between them (a second copy
        # would be harmless anyway: the task claims queued → sending).
        if Delivery.objects.filter(
            pk=pk, status=Status.QUEUED, enqueued_at__lt=now - REQUEUE_AFTER
        ).update(enqueued_at=now):
            enqueue(pk)
    dead = Delivery.objects.filter(status=Status.SENDING, lease_until__lt=now).update(
        status=Status.PENDING, next_attempt_at=now, lease_until=None
    )
    return len(lost) + dead
