"""Recording outcomes: what a batch's tries did, written in one transaction per batch.

Every action (publish, look up, edit, delete) says what its last try means for each target as
a Verdict (engine.py, reconcile.py, edits.py); ``record`` writes them all the same way:

- a PublishAttempt row per try;
- the target's fields, in an UPDATE conditional on our claim token (and the status the claim
  left it in): a row someone else has taken over since is not written, and its event not logged;
- a PostEvent for the post's history when the write won;
- a channel whose token was revoked marked ``needs_reauth``; the posts' statuses rolled up.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kosmmos.channels.models import Channel, ChannelStatus
from kosmmos.connectors.base import PublishedPost
from kosmmos.content.models import PostEvent, PostTarget, TargetStatus
from kosmmos.content.targets import roll_up
from kosmmos.lib.events import emit
from kosmmos.publishing.leases import worker_name
from kosmmos.publishing.models import PublishAttempt
from kosmmos.publishing.tries import TRIES, Job, Try

MAX_ATTEMPTS = 13
STATS_FIRST = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    """2 s after the first round of tries (three 5xx in a row are mostly a blip, and a post is
    due now), then 10 s, doubling, at most an hour; with MAX_ATTEMPTS about a minute and a
    quarter of patience in all."""
    rounds = max(0, attempts // TRIES - 1)
    seconds = 2 if rounds == 0 else min(3600, 10 * 2 ** (rounds - 1))
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


@dataclass
class Verdict:
    """What one target's tries come to."""

    fields: dict[str, Any]  # the target's new values
    event: tuple[str, str] | None = None  # (kind, text) for the post's history, when written
    reauth: bool = False  # the channel's token was revoked: it needs a person
    due_now: bool = False  # the target may be sent again at once
    when: dict[str, Any] = field(default_factory=dict)  # conditions beyond our claim
    if_lost: dict[str, Any] | None = None  # written instead when only ``when`` did not hold


def record(token: str, jobs: list[Job], judge: Callable[[Job, Try, datetime], Verdict], *,
           status: str | None = None, on_due: Callable[[], None] | None = None) -> None:
    """Write the outcomes of a batch claimed with ``token`` (rows still in ``status``, when
    given). ``on_due`` runs after the commit when some target became due at once."""
    now = timezone.now()
    worker = worker_name()
    due_now = False
    with transaction.atomic():
        rows: list[PublishAttempt] = []
        events: list[PostEvent] = []
        reauth: dict[Any, str] = {}
        for job in jobs:
            if not job.tries:  # never started: handed back when the worker stopped (runner.py)
                continue
            t = job.target
            rows += attempt_rows(t, job.tries, job.action, worker)
            last = job.tries[-1]
            verdict = judge(job, last, now)
            mine = PostTarget.objects.filter(pk=t.pk, lease_owner=token)
            if status is not None:
                mine = mine.filter(status=status)
            if mine.filter(**verdict.when).update(**verdict.fields):
                if verdict.event is not None:
                    events.append(event(t, *verdict.event))
                announce(t, verdict.fields)
                due_now = due_now or verdict.due_now
            elif verdict.if_lost is not None:
                mine.update(**verdict.if_lost)
            if verdict.reauth:
                reauth[t.channel_id] = last.error
        PublishAttempt.objects.bulk_create(rows)
        PostEvent.objects.bulk_create(events)
        mark_needs_reauth(reauth)
        roll_up({job.target.post_id for job in jobs})
        if due_now and on_due is not None:
            transaction.on_commit(on_due)


# A target's new status → the event people hear about (kosmmos/notifications/kinds.py).
ANNOUNCED = {TargetStatus.PUBLISHED: "post.published", TargetStatus.FAILED: "post.failed",
             TargetStatus.NEEDS_CHECK: "post.needs_check"}


def announce(t: PostTarget, fields: dict[str, Any]) -> None:
    """Raise the event of a target that just reached a final or troubled status (in the
    outcome's transaction); one per target, attempt count and status."""
    kind = ANNOUNCED.get(fields.get("status", ""))
    if kind is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        titles = {"post.published": _("Published on %(channel)s: %(post)s"),
                  "post.failed": _("Post failed on %(channel)s: %(post)s"),
                  "post.needs_check": _("Post needs a check on %(channel)s: %(post)s")}
        title = titles[kind] % {"channel": t.channel.name, "post": t.post.label}
    emit(kind, organisation=t.organisation_id, workspace=t.post.workspace, title=title,
         body=str(fields.get("last_error") or ""), url=f"/content/posts/{t.post_id}/",
         dedupe_key=f"target:{t.pk}:{fields['status']}:{t.attempts}",
         payload={"post": str(t.post_id), "target": str(t.pk), "channel": str(t.channel_id),
                  "network": t.channel.network, "status": fields["status"]})


def published_fields(post: PublishedPost, now: datetime) -> dict[str, Any]:
    """A target found on the network (sent or looked up): published, its stats read soon."""
    return {
        "status": TargetStatus.PUBLISHED, "external_id": post.external_id[:100],
        "url": post.url[:500], "published_at": post.published_at or now, "last_error": "",
        "next_stats_at": now + STATS_FIRST,
    }


def attempt_rows(t: PostTarget, tries: list[Try], action: str, worker: str) -> list[PublishAttempt]:
    return [PublishAttempt(target_id=t.pk, number=x.number, action=action,
                           started_at=x.started_at, duration_ms=x.duration_ms,
                           outcome=x.outcome, error=x.error, worker=worker[:100])
            for x in tries]


def event(t: PostTarget, kind: str, text: str) -> PostEvent:
    return PostEvent(post_id=t.post_id, kind=kind, text=f"{t.channel.name}: {text}"[:2000])


def mark_needs_reauth(channels: dict[Any, str]) -> None:
    """A revoked token: the channel waits for a person; conditional, so a channel a
    person has just reconnected is not flipped back by an old failure."""
    for channel_id, error in channels.items():
        Channel.objects.filter(pk=channel_id, status=ChannelStatus.ACTIVE).update(
            status=ChannelStatus.NEEDS_REAUTH, last_error=error)
