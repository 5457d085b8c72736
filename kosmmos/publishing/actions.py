"""What the rest of Kosmmos may do to publishing state: verb-named, atomic, conditional.

The content plan calls these; the engine (engine.py, edits.py) does the rest. Every change is
a conditional UPDATE from the states it is allowed from, so a click racing the engine either
wins cleanly or changes nothing (the return value says which).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kosmmos.accounts.models import User
from kosmmos.content.models import PendingAction, Post, PostEvent, PostStatus, PostTarget, TargetStatus
from kosmmos.publishing.engine import aggregate
from kosmmos.publishing.models import PublishAttempt

Outcome = PublishAttempt.Outcome


def _kick_if_due(when: Any) -> None:
    """Due within the look-ahead: claim it now rather than at the next tick."""
    if when and when <= timezone.now() + timedelta(seconds=settings.PUBLISH_LOOKAHEAD_SECONDS):
        from kosmmos.publishing.dispatch import kick

        transaction.on_commit(kick)


def _who(user: User | None) -> str:
    return f"user:{user.email}"[:100] if user is not None else "user"


@transaction.atomic
def schedule_post(post: Post) -> int:
    """The post's draft targets → scheduled for ``post.publish_at``; returns how many.

    The post becomes ``scheduled`` when any target was scheduled (unless already published).
    """
    if post.publish_at is None:
        raise ValueError("the post has no publish_at")
    changed = PostTarget.objects.filter(post=post, status=TargetStatus.DRAFT).update(
        status=TargetStatus.SCHEDULED, publish_at=post.publish_at,
        next_attempt_at=post.publish_at, attempts=0, checks=0, last_error="", lease_owner="",
    )
    if changed:
        Post.objects.filter(pk=post.pk).exclude(status=PostStatus.PUBLISHED).update(
            status=PostStatus.SCHEDULED)
        _kick_if_due(post.publish_at)
    return changed


@transaction.atomic
def unschedule_post(post: Post) -> int:
    """Scheduled targets → draft; queued/publishing ones are already on their way and stay.

    A post left with nothing on its way goes back from ``scheduled`` to ``approved``.
    """
    changed = PostTarget.objects.filter(post=post, status=TargetStatus.SCHEDULED).update(
        status=TargetStatus.DRAFT, next_attempt_at=None)
    busy = PostTarget.objects.filter(post=post, status__in=[
        TargetStatus.QUEUED, TargetStatus.PUBLISHING, TargetStatus.RECONCILING,
        TargetStatus.PUBLISHED]).exists()
    if changed and not busy:
        Post.objects.filter(pk=post.pk, status=PostStatus.SCHEDULED).update(
            status=PostStatus.APPROVED)
    return changed


@transaction.atomic
def retry_target(target: PostTarget, *, confirmed_absent: bool = False,
                 user: User | None = None) -> bool:
    """failed → scheduled now. A target that needs a check is retried only when a person says
    they looked and the post is not on the network (``confirmed_absent``): otherwise a retry
    could publish it twice."""
    allowed = [TargetStatus.FAILED]
    if confirmed_absent:
        allowed.append(TargetStatus.NEEDS_CHECK)
    was = PostTarget.objects.filter(pk=target.pk).values_list("status", "attempts").first()
    now = timezone.now()
    won = PostTarget.objects.filter(pk=target.pk, status__in=allowed).update(
        status=TargetStatus.SCHEDULED, next_attempt_at=now, attempts=0, checks=0,
        last_error="", lease_owner="", lease_until=None,
    )
    if not won or was is None:
        return False
    if was[0] == TargetStatus.NEEDS_CHECK:
        PublishAttempt.objects.create(
            target=target, number=was[1], action="manual", outcome=Outcome.ABSENT,
            worker=_who(user), error="Checked by a person: not on the network.")
    aggregate([target.post_id])
    _kick_if_due(now)
    return True


@transaction.atomic
def mark_published_manually(target: PostTarget, url: str, *, user: User | None = None) -> bool:
    """A person found the post on the network (or posted it by hand): published, no resend."""
    now = timezone.now()
    was = PostTarget.objects.filter(pk=target.pk).values_list("attempts", flat=True).first()
    won = PostTarget.objects.filter(pk=target.pk, status__in=[
        TargetStatus.FAILED, TargetStatus.NEEDS_CHECK, TargetStatus.SCHEDULED,
        TargetStatus.DRAFT,
    ]).update(status=TargetStatus.PUBLISHED, url=url[:500], published_at=now, last_error="",
              next_attempt_at=None, lease_owner="")
    if not won:
        return False
    PublishAttempt.objects.create(target=target, number=was or 0, action="manual",
                                  outcome=Outcome.MANUAL, worker=_who(user), error=url[:500])
    PostEvent.objects.create(post_id=target.post_id, author=user, kind="published",
                             text=f"{target.channel.name}: {url}"[:2000])
    aggregate([target.post_id])
    return True


def _owe(post: Post, action: str) -> int:
    query = PostTarget.objects.filter(post=post, status=TargetStatus.PUBLISHED)
    if action == PendingAction.EDIT:
        query = query.exclude(pending_action=PendingAction.DELETE)  # a delete wins
    return query.update(pending_action=action, action_due_at=timezone.now(),
                        action_version=F("action_version") + 1, action_attempts=0)


@transaction.atomic
def propagate_edit(post: Post) -> int:
    """Send the post's current text to every network where it is published; returns how many
    edit jobs were made. Targets not yet published will simply send the new text."""
    return _owe(post, PendingAction.EDIT)


@transaction.atomic
def propagate_delete(post: Post) -> int:
    """Delete the post from every network where it is published (returns how many jobs) and
    cancel the targets not sent yet. Keep the Post row until its targets are ``deleted``:
    deleting it cascades to the targets, and the jobs with them."""
    PostTarget.objects.filter(post=post, status__in=[
        TargetStatus.DRAFT, TargetStatus.SCHEDULED, TargetStatus.FAILED,
        TargetStatus.NEEDS_CHECK,
    ]).update(status=TargetStatus.CANCELLED, next_attempt_at=None)
    return _owe(post, PendingAction.DELETE)
