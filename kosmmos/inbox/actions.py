"""Writes a manager makes in the inbox, and the reply job. Verb-named, atomic; enqueues happen
on commit.

Reply states (the database is the truth, Celery carries ids):

    pending ──dispatcher/kick──> queued ──task claim (lease)──> sending ──> sent
                                            ├─ request never left / rate limited ──> pending (backoff)
                                            ├─ permanent / auth / attempts used up ──> failed
                                            └─ may have been posted (timeout after sending) ──> failed
                                               with that said: a person checks, then Retry
    failed ──Retry──> pending

VK private messages (``random_id``) and sandbox comments (``key``) carry the reply's idempotency
key; every other reply may be duplicated by a blind resend, so an ambiguous outcome is never
retried automatically. (The sandbox path reconciles by key itself and reports a transient error
when the comment is not there, which the backoff then resends with the same key.)
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kosmmos.accounts.models import User
from kosmmos.audit.log import record
from kosmmos.connectors.base import AmbiguousOutcome, ConnectorError, RateLimited
from kosmmos.inbox import replies
from kosmmos.inbox.models import (
    MAX_REPLY_ATTEMPTS,
    CannedReply,
    Item,
    ItemStatus,
    Note,
    Reply,
    ReplyAttempt,
    ReplyStatus,
    SentimentCorrection,
)
from kosmmos.jobs.queue import RowQueue

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)

# Replies as due rows (kosmmos/jobs/queue.py): the ticker dispatches and sweeps them
# (inbox/dispatch.py), the task (inbox/tasks.py) runs ``send_reply``.
reply_jobs = RowQueue(
    model=Reply, task="kosmmos.inbox.tasks:send_reply", running=ReplyStatus.SENDING, batch=200,
    # A reply whose worker died mid-send may have been posted: never resend blindly.
    after_dead_worker=ReplyStatus.FAILED,
    dead_worker_error="The worker stopped while sending; the reply may have been posted. "
                      "Check the network before retrying.",
)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=30 * 4 ** max(0, attempts - 1))


def queue_reply(item: Item, author: User, text: str) -> Reply:
    with transaction.atomic():
        reply = Reply.objects.create(organisation_id=item.organisation_id, item=item,
                                     author=author, text=text)
        record(item.organisation_id, "inbox.reply_sent", target=reply, actor=author)
        if item.assignee_id is None:
            Item.objects.filter(pk=item.pk, assignee__isnull=True).update(assignee=author)
        transaction.on_commit(lambda: kick(reply.pk))
    return reply


def kick(reply_id: uuid.UUID) -> None:
    reply_jobs.kick(reply_id)


def retry_reply(reply: Reply) -> bool:
    return reply_jobs.retry_failed(reply.pk, ReplyStatus.FAILED)


def send_reply(reply_id: uuid.UUID) -> None:
    """The job: post the reply if it is still queued; record the attempt; decide what next."""
    now = timezone.now()
    if not reply_jobs.start(reply_id, LEASE, attempts=F("attempts") + 1):
        return
    reply = Reply.objects.select_related("item__channel").get(pk=reply_id)
    started = time.monotonic()
    error, external, retry_in = "", "", None
    final = False
    try:
        external = replies.send(reply.item, reply.text, random_id=reply.random_id,
                                key=str(reply.pk))
    except RateLimited as exc:
        error, retry_in = exc.message, timedelta(seconds=max(1.0, exc.retry_after))
    except AmbiguousOutcome as exc:
        error, final = _("%(error)s — the reply may have been posted. Check the network "
                         "before retrying.") % {"error": exc.message}, True
    except ConnectorError as exc:
        error, final = exc.message, exc.permanent
    except Exception as exc:  # a bug must not leave the row in "sending"
        log.exception("reply %s failed unexpectedly", reply_id)
        error, final = f"{type(exc).__name__}: {exc}", True
    ReplyAttempt.objects.create(
        reply=reply, number=reply.attempts, started_at=now, ok=not error, error=error,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    mine = Reply.objects.filter(pk=reply.pk, status=ReplyStatus.SENDING)
    done = timezone.now()
    if not error:
        if mine.update(status=ReplyStatus.SENT, sent_at=done, external_id=external[:120],
                       lease_until=None, last_error=""):
            Item.objects.filter(pk=reply.item_id, first_response_at__isnull=True).update(
                first_response_at=done, first_responder=reply.author_id)
        return
    if final or reply.attempts >= MAX_REPLY_ATTEMPTS:
        mine.update(status=ReplyStatus.FAILED, lease_until=None, last_error=error)
    else:
        mine.update(status=ReplyStatus.PENDING, lease_until=None, last_error=error,
                    next_attempt_at=done + (retry_in or backoff(reply.attempts)))


def assign(item: Item, user: User | None) -> None:
    Item.objects.filter(pk=item.pk).update(assignee=user)


def close(item: Item) -> bool:
    return bool(Item.objects.filter(pk=item.pk, status=ItemStatus.OPEN).update(
        status=ItemStatus.CLOSED, closed_at=timezone.now()))


def reopen(item: Item) -> bool:
    return bool(Item.objects.filter(pk=item.pk, status=ItemStatus.CLOSED).update(
        status=ItemStatus.OPEN, closed_at=None))


def add_note(item: Item, author: User, text: str) -> Note:
    return Note.objects.create(item=item, author=author, text=text)


def correct_sentiment(item: Item, user: User, label: str) -> None:
    with transaction.atomic():
        SentimentCorrection.objects.create(item=item, user=user, old_label=item.sentiment,
                                           new_label=label)
        Item.objects.filter(pk=item.pk).update(sentiment=label, sentiment_manual=True)


PLACEHOLDER = re.compile(r"\{(name|brand|manager|post)\}")


def fill_canned(canned: CannedReply, item: Item, manager: User) -> str:
    """The canned text with {name}, {brand}, {manager}, {post} filled in; any other brace is
    left as written (no str.format: a template must not reach into objects)."""
    values = {
        "name": item.author_name.split(" (@")[0] or _("there"),
        "brand": item.workspace.brand_name,
        "manager": manager.first_name or manager.get_full_name() or manager.email,
        "post": item.post.label if item.post_id and item.post else "",
    }
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], canned.text)
