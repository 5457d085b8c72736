"""The row-queues of notification work (kosmmos/jobs/queue.py): deliveries and webhook calls."""

from __future__ import annotations

from datetime import timedelta

from kosmmos.jobs.queue import RowQueue
from kosmmos.notifications.models import Delivery, Status, WebhookDelivery

TASKS = "kosmmos.notifications.tasks"
LEASE = timedelta(seconds=30)

deliveries = RowQueue(Delivery, task=f"{TASKS}:send_delivery", running=Status.SENDING,
                      batch=500, requeue_after=timedelta(seconds=30))
webhooks = RowQueue(WebhookDelivery, task=f"{TASKS}:send_webhook", running=Status.SENDING,
                    batch=500, requeue_after=timedelta(seconds=30))

