"""The ticker's entry points (kosmmos/jobs/ticker.py) and the kick after an event commits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from kosmmos.jobs.claims import claim_batch
from kosmmos.notifications.fanout import fan_out
from kosmmos.notifications.models import Delivery, Event, Status, WebhookDelivery
from kosmmos.notifications.queues import deliveries, webhooks
from kosmmos.notifications.telegram import poll_links

# An event whose after-commit kick was lost (a worker died between commit and enqueue) is
# fanned out by the sweep once it is this old.
FANOUT_GRACE = timedelta(seconds=3)


def fan_out_missed() -> int:
    stale = timezone.now() - FANOUT_GRACE
    ids = list(Event.objects.filter(fanned_out_at__isnull=True, created_at__lt=stale)
               .order_by("created_at").values_list("pk", flat=True)[:200])
    for pk in ids:
        fan_out(pk)
    return len(ids)


def dispatch_deliveries() -> int:
    """Claim due rows and send one task per member and channel: its sender takes the others
    (claimed here, so still "queued") into the same message. A lost task leaves them queued;
    the sweep sends them again."""
    now = timezone.now()
    due = Delivery.objects.filter(next_attempt_at__lte=now)
    ids = claim_batch(due, Status.PENDING, deliveries.batch, status=Status.QUEUED,
                      enqueued_at=now)
    seen: set[tuple[Any, Any, str]] = set()
    for pk, user_id, org_id, channel in Delivery.objects.filter(pk__in=ids).values_list(
            "pk", "user_id", "organisation_id", "channel"):
        if (user_id, org_id, channel) not in seen:
            seen.add((user_id, org_id, channel))
            deliveries.enqueue(pk)
    return len(ids)


def sweep_deliveries() -> int:
    return deliveries.sweep_stuck()


def dispatch_webhooks() -> int:
    """Claim due calls and send one task per webhook (its sender takes the others in turn)."""
    now = timezone.now()
    ids = claim_batch(WebhookDelivery.objects.filter(next_attempt_at__lte=now), Status.PENDING,
                      webhooks.batch, status=Status.QUEUED, enqueued_at=now)
    seen: set[Any] = set()
    for pk, hook_id in WebhookDelivery.objects.filter(pk__in=ids).values_list("pk", "webhook_id"):
        if hook_id not in seen:
            seen.add(hook_id)
            webhooks.enqueue(pk)
    return len(ids)


def sweep_webhooks() -> int:
    return webhooks.sweep_stuck()


def poll_telegram() -> int:
    return poll_links()
