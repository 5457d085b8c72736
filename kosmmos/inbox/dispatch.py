"""Ticker entries (kosmmos/jobs/ticker.py): due replies, polls and retraining runs are claimed
here with conditional updates and handed to Celery as ids; sweeps put back what was lost."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from kosmmos.channels.models import Channel
from kosmmos.inbox import tasks
from kosmmos.inbox.actions import reply_jobs
from kosmmos.inbox.analytics import detect_overdue, detect_surges
from kosmmos.inbox.models import ChannelInbox, PollStatus
from kosmmos.inbox.pipeline import inbound_for
from kosmmos.inbox.polling import channels_with_recent_posts, interval, mode
from kosmmos.inbox.retrain import retrain_jobs

log = logging.getLogger(__name__)

BATCH = 200
REQUEUE_AFTER = timedelta(minutes=2)


def _enqueue(task_name: str, pk: Any) -> None:
    try:
        getattr(tasks, task_name).delay(str(pk))
    except Exception:
        log.exception("could not enqueue %s %s; the sweep will retry", task_name, pk)


def dispatch_replies() -> int:
    return reply_jobs.dispatch_due()


def ensure_channel_rows(channels: QuerySet[Channel] | None = None) -> int:
    """Every channel gets its inbox row (webhook code, poll state) once it exists."""
    pool = Channel.objects.all() if channels is None else channels
    missing = list(pool.filter(inbox__isnull=True).values_list("pk", "organisation_id")[:BATCH])
    ChannelInbox.objects.bulk_create(
        [ChannelInbox(channel_id=pk, organisation_id=org) for pk, org in missing],
        ignore_conflicts=True)
    return len(missing)


def dispatch_polls() -> int:
    ensure_channel_rows()
    now = timezone.now()
    due = ChannelInbox.objects.filter(poll_status=PollStatus.IDLE, next_poll_at__lte=now)
    # Most overdue first: rows beyond this round are the next tick's, whatever their order.
    seen = list(due.select_related("channel").order_by("next_poll_at")[:BATCH])
    polling = [row for row in seen if mode(row.channel) == "poll"]
    # Channels that do not poll are looked at again in ten minutes, not every tick (only those
    # looked at here: a polling channel beyond this round must not be pushed back with them).
    polling_ids = {row.pk for row in polling}
    _push_back([row.pk for row in seen if row.pk not in polling_ids], now + timedelta(minutes=10))
    if not polling:
        return 0
    # OK and the sandbox are polled post by post: a channel with no recent post has nothing to
    # ask for, so it costs a row update here instead of a job (10,000 idle channels were
    # 160 jobs a second).
    readers = {row.pk: inbound_for(row.channel) for row in polling}
    by_post = [row for row in polling if readers[row.pk].polls_by_post]
    busy = channels_with_recent_posts([row.channel_id for row in by_post])
    quiet: dict[timedelta, list[Any]] = {}
    for row in by_post:
        if row.channel_id not in busy:
            quiet.setdefault(interval(readers[row.pk]), []).append(row.pk)
    for wait, pks in quiet.items():
        _push_back(pks, now + wait)
    skipped = {pk for pks in quiet.values() for pk in pks}
    wanted = [row.pk for row in polling if row.pk not in skipped]
    ids = _claim_polls(wanted, now)
    for pk in ids:
        _enqueue("poll_channel", pk)
    return len(ids)


def _push_back(pks: list[Any], until: Any) -> None:
    """Not polled this round: due again at ``until`` (still idle, so no poll is overtaken)."""
    if pks:
        ChannelInbox.objects.filter(pk__in=pks, poll_status=PollStatus.IDLE).update(
            next_poll_at=until)


def _claim_polls(ids: list[Any], now: Any) -> list[Any]:
    """Conditional per row: of two tickers, one wins each channel."""
    return [pk for pk in ids if ChannelInbox.objects.filter(
        pk=pk, poll_status=PollStatus.IDLE).update(poll_status=PollStatus.QUEUED, enqueued_at=now)]


def dispatch_retrain() -> int:
    return retrain_jobs.dispatch_due()


def sweep_stuck() -> int:
    """Replies and training runs (their queues' sweeps), then polls whose message was lost or
    whose worker died: idle again and due now."""
    now = timezone.now()
    lost = now - REQUEUE_AFTER
    count = reply_jobs.sweep_stuck() + retrain_jobs.sweep_stuck()
    count += ChannelInbox.objects.filter(poll_status=PollStatus.QUEUED, enqueued_at__lt=lost).update(
        poll_status=PollStatus.IDLE, next_poll_at=now)
    count += ChannelInbox.objects.filter(poll_status=PollStatus.POLLING, lease_until__lt=now).update(
        poll_status=PollStatus.IDLE, next_poll_at=now, lease_until=None)
    return count


def check_surges() -> int:
    """Negative surges, at most every five minutes across all workers (the alert itself is
    unique per channel and day, so a second runner could not raise it twice anyway)."""
    if not cache.add("inbox:surge-check", 1, timeout=300):
        return 0
    return detect_surges()


def check_overdue() -> int:
    """Comments past their SLA, at most once a minute across all workers (each item's event is
    unique by its key anyway)."""
    if not cache.add("inbox:overdue-check", 1, timeout=60):
        return 0
    return detect_overdue()
