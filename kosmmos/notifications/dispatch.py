"""The ticker's entry points (kosmmos/jobs/ticker.py) and the kick after an event commits."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kosmmos.notifications.fanout import fan_out
from kosmmos.notifications.models import Event
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
    return deliveries.dispatch_due()


def sweep_deliveries() -> int:
    return deliveries.sweep_stuck()


def dispatch_webhooks() -> int:
    return webhooks.dispatch_due()


def sweep_webhooks() -> int:
    return webhooks.sweep_stuck()


def poll_telegram() -> int:
    return poll_links()
