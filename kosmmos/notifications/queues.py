"""The row-queues of notification work (kosmmos/jobs/queue.py): deliveries and webhook calls."""

from __future__ import annotations

from datetime import timedelta

from kosmmos.jobs.queue import RowQueue, send_batches
from kosmmos.notifications.models import Delivery, Event, Status, WebhookDelivery

TASKS = "kosmmos.notifications.tasks"
LEASE = timedelta(seconds=30)

deliveries = RowQueue(Delivery, task=f"{TASKS}:send_delivery", running=Status.SENDING,
                      batch=500, requeue_after=timedelta(seconds=30))
webhooks = RowQueue(WebhookDelivery, task=f"{TASKS}:send_webhook", running=Status.SENDING,
                    batch=500, requeue_after=timedelta(seconds=30))


def kick_event(event: Event) -> None:
    """After the event's transaction commits: fan it out on a worker (a failure to enqueue
    only delays it: the ticker's ``fan_out_missed`` finds it)."""
    send_batches(f"{TASKS}:fan_out", [event.pk], size=1)
