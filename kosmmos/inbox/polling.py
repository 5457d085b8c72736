"""Polling jobs: for channels without a webhook, one due row per channel (ChannelInbox).

How a channel's events arrive (webhook, poll or off) and how it is polled is its network's
inbound side (``kosmmos/connectors/<network>/inbound.py``); this module runs the job: claim the
row, poll since the stored cursor, put what came through the pipeline, store the cursor once
that committed, plan the next poll (backing off on errors).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from kosmmos.channels.models import Channel
from kosmmos.connectors.base import AuthRevoked, ConnectorError, Inbound, RateLimited
from kosmmos.content.models import PostTarget, TargetStatus
from kosmmos.inbox.models import ChannelInbox, PollStatus
from kosmmos.inbox.pipeline import Envelope, Run, inbound_for, ingest

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
RECENT_POSTS = timedelta(days=14)
POSTS_PER_POLL = 50


def interval(reader: Inbound) -> timedelta:
    """Event streams are polled often; a poll per post costs a call per post, so less often."""
    if reader.polls_by_post:
        return timedelta(seconds=settings.INBOX_SLOW_POLL_SECONDS)
    return timedelta(seconds=settings.INBOX_POLL_SECONDS)


def mode(channel: Channel) -> str:
    """"webhook", "poll" or "off" for this channel."""
    if channel.status == "disabled":
        return "off"
    return inbound_for(channel).mode(channel.credentials)


def poll(inbox_id: Any) -> None:
    """The job: poll one channel if its row is still queued; store the cursor; plan the next."""
    now = timezone.now()
    if not claim_one_poll(inbox_id, now):
        return
    inbox = ChannelInbox.objects.select_related("channel").get(pk=inbox_id)
    channel = inbox.channel
    reader = inbound_for(channel)
    cursor = dict(inbox.cursor)
    error, delay = "", interval(reader)
    try:
        if mode(channel) == "poll":
            poll_channel(channel, cursor)
    except RateLimited as exc:
        error, delay = exc.message, timedelta(seconds=max(exc.retry_after, delay.total_seconds()))
    except AuthRevoked as exc:
        error, delay = exc.message, timedelta(hours=1)
    except ConnectorError as exc:
        error = exc.message
        delay = min(timedelta(minutes=30), delay * 2 ** min(inbox.failures + 1, 6))
    except Exception as exc:  # the row must never stay in "polling"
        log.exception("inbox poll of channel %s failed", channel.pk)
        error, delay = f"{type(exc).__name__}: {exc}", timedelta(minutes=5)
    done = timezone.now()
    ChannelInbox.objects.filter(pk=inbox.pk, poll_status=PollStatus.POLLING).update(
        poll_status=PollStatus.IDLE, cursor=cursor, lease_until=None, last_polled_at=done,
        next_poll_at=done + delay, last_error=error[:2000],
        failures=F("failures") + 1 if error else 0,
    )


def claim_one_poll(inbox_id: Any, now: Any) -> bool:
    return bool(ChannelInbox.objects.filter(pk=inbox_id, poll_status=PollStatus.QUEUED).update(
        poll_status=PollStatus.POLLING, lease_until=now + LEASE))


def poll_channel(channel: Channel, cursor: dict[str, Any]) -> Run | None:
    """One poll: what is new since ``cursor`` through the pipeline; the cursor moves on only
    after the batch committed, so a crash re-reads the batch (and dedupe drops the repeats)."""
    reader = inbound_for(channel)
    posts = [t.external_id for t in _recent_targets(channel)] if reader.polls_by_post else []
    polled = reader.poll(channel.credentials, cursor, posts)
    envelopes = [Envelope(channel, payload, context) for payload, context in polled.payloads]
    run = ingest(envelopes) if envelopes else None
    cursor.update(polled.advance)
    return run


# --- networks polled post by post (no event stream) ------------------------------------------


def channels_with_recent_posts(channel_ids: list[Any]) -> set[Any]:
    """Of these channels, those with a post of ours recent enough to poll its comments."""
    if not channel_ids:
        return set()
    since = timezone.now() - RECENT_POSTS
    return set(PostTarget.objects.filter(
        channel_id__in=channel_ids, status=TargetStatus.PUBLISHED, published_at__gte=since,
    ).exclude(external_id="").values_list("channel_id", flat=True).distinct())


def _recent_targets(channel: Channel) -> list[PostTarget]:
    since = timezone.now() - RECENT_POSTS
    return list(PostTarget.objects.filter(
        channel=channel, status=TargetStatus.PUBLISHED, published_at__gte=since,
    ).exclude(external_id="").order_by("-published_at")[:POSTS_PER_POLL])
