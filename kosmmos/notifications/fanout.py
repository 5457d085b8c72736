"""Fan-out: one event → one delivery row per member and channel they chose, one per webhook.

Idempotent by the unique keys: two workers fanning out the same event (a redelivered message,
the sweep beside the kick) insert each row once, and each row is claimed by one sender.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from kosmmos.accounts.models import Membership
from kosmmos.jobs.queue import send_batches
from kosmmos.notifications import prefs
from kosmmos.notifications.models import (
    Channel,
    Delivery,
    Event,
    Status,
    Subscriber,
    TelegramBot,
    Webhook,
    WebhookDelivery,
)
from kosmmos.notifications.queues import TASKS, deliveries, webhooks

log = logging.getLogger(__name__)


def fan_out(event_id: Any) -> int:
    """Write the event's deliveries (once) and kick those due now; returns the rows written."""
    event = Event.objects.select_related("organisation").filter(pk=event_id).first()
    if event is None:
        return 0
    now = timezone.now()
    org = event.organisation
    has_bot = TelegramBot.objects.filter(organisation=org).exists()
    subs = {s.user_id: s for s in Subscriber.objects.filter(organisation=org)}
    rows: list[Delivery] = []
    members = Membership.objects.filter(organisation=org, user__is_active=True)
    for m in members:
        if not prefs.sees(m, event.workspace_id):
            continue
        sub = subs.get(m.user_id)
        for channel in prefs.channels_for(sub, m.role, event.kind, event.workspace_id):
            if channel == Channel.TELEGRAM and not (has_bot and sub and sub.telegram_chat_id):
                continue
            if channel == Channel.INAPP:
                rows.append(Delivery(event=event, organisation=org, user_id=m.user_id,
                                     channel=channel, status=Status.SENT, sent_at=now))
            else:
                rows.append(Delivery(event=event, organisation=org, user_id=m.user_id,
                                     channel=channel, next_attempt_at=prefs.due_at(
                                         event, sub, channel, org.timezone, now)))
    hooks = [WebhookDelivery(webhook=h, event=event, next_attempt_at=now)
             for h in Webhook.objects.filter(organisation=org, active=True) if h.wants(event.kind)]
    with transaction.atomic():
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        WebhookDelivery.objects.bulk_create(hooks, ignore_conflicts=True)
        Event.objects.filter(pk=event.pk, fanned_out_at__isnull=True).update(fanned_out_at=now)
    # Kick one row per member and channel whose slot is free now: the sender takes every other
    # due row of that member and channel with it. Rows of a busy member wait for the slot (the
    # dispatcher claims them then, grouped), so a flood costs no task per row.
    kicked: set[tuple[Any, str]] = set()
    due = Delivery.objects.filter(event=event, status=Status.PENDING, next_attempt_at__lte=now)
    for pk, user_id, channel in due.values_list("pk", "user_id", "channel"):
        sub = subs.get(user_id)
        free = None if sub is None else (
            sub.telegram_free_at if channel == Channel.TELEGRAM else sub.email_free_at)
        if free is not None and free > now:
            Delivery.objects.filter(pk=pk, status=Status.PENDING).update(next_attempt_at=free)
        elif (user_id, channel) not in kicked:
            kicked.add((user_id, channel))
            deliveries.kick(pk)
    # One task per webhook at a time: a webhook with a sender at work (a row sending) gets its
    # new row from that sender's train or from the dispatcher's next tick.
    for pk, hook_id in WebhookDelivery.objects.filter(
            event=event, status=Status.PENDING).values_list("pk", "webhook_id"):
        if not WebhookDelivery.objects.filter(webhook_id=hook_id, status__in=[
                Status.SENDING, Status.QUEUED]).exists():
            webhooks.kick(pk)
    return len(rows) + len(hooks)


def kick_event(event: Event) -> None:
    """After the event's transaction commits: fan it out at once, in the process that raised it
    (a few inserts; the bell shows it within milliseconds and no queue sits in between). If that
    fails, a worker tries; if the message is lost too, the ticker's ``fan_out_missed`` finds it."""
    try:
        fan_out(event.pk)
    except Exception:
        log.exception("fan-out of %s failed here; handing it to a worker", event.pk)
        send_batches(f"{TASKS}:fan_out", [event.pk], size=1)
