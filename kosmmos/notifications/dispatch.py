"""The queues of notification work and the ticker's entry points (kosmmos/jobs/ticker.py)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kosmmos.jobs.queue import RowQueue, send_batches
from kosmmos.notifications.models import Delivery, Event, Status, WebhookDelivery

TASKS = "kosmmos.notifications.tasks"
LEASE = timedelta(seconds=30)
# An event whose after-commit kick was lost (a worker died between commit and enqueue) is
# fanned out by the sweep once it is this old.
FANOUT_GRACE = timedelta(seconds=3)

deliveries = RowQueue(Delivery, task=f"{TASKS}:send_delivery", running=Status.SENDING,
                      batch=500, requeue_after=timedelta(seconds=30))
webhooks = RowQueue(WebhookDelivery, task=f"{TASKS}:send_webhook", running=Status.SENDING,
                    batch=500, requeue_after=timedelta(seconds=30))


def kick_event(event: Event) -> None:
    """After the event's transaction commits: fan it out on a worker (a failure to enqueue
    only delays it: ``fan_out_missed`` finds it)."""
    send_batches(f"{TASKS}:fan_out", [event.pk], size=1)


def fan_out_missed() -> int:
    from kosmmos.notifications.fanout import fan_out

    stale = timezone.now() - FANOUT_GRACE
    ids = list(Event.objects.filter(fanned_out_at__isnull=True, created_at__lt=stale)
               .order_by("created_at").values_list("pk", flat=True)[:200])
    for pk in ids:
        fan_out(pk)
    return len(ids)


def dispatch_deliveries() -> int:
    return deliveries.dispatch_due()


def sweep_deliveries() -> int:
    return deliveries.sweep_stuck()


def dispatch_webhooks() -> int:
    return webhooks.dispatch_due()


def sweep_webhooks() -> int:
    return webhooks.sweep_stuck()


def poll_telegram() -> int:
    from kosmmos.notifications.telegram import poll_links

    return poll_links()
