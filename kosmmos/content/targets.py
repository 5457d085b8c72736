"""The post-target lifecycle: the writes that move a post's targets, and the one rule that rolls a
post's status up from them.

Verb-named, atomic, conditional: every change is an UPDATE from the states it is allowed from, so
a click racing the publishing engine either wins cleanly or changes nothing (the return value
says which). The content plan's actions (actions.py) call these; the engine (the publishing app)
moves targets on their way and calls ``roll_up`` in the transaction that moved them, so a post's
status is current whenever it is read.

The engine sits above this app, so it is told by signals, not called: ``due_soon`` (after the
commit: claim now rather than at the next tick) and ``settled_by_hand`` (inside the transaction:
a person decided what the engine could not; it keeps that as an attempt row).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from kosmmos.accounts.models import User
from kosmmos.content import history
from kosmmos.content.models import (
    IN_FLIGHT,
    PendingAction,
    Post,
    PostEvent,
    PostStatus,
    PostTarget,
    TargetStatus,
)
from kosmmos.content.validation import limits_for

# Targets in these states have reached (or may have reached) a network.
LIVE = {TargetStatus.PUBLISHED, TargetStatus.PUBLISHING, TargetStatus.RECONCILING,
        TargetStatus.NEEDS_CHECK}
# Targets that wait for a person.
TROUBLE = {TargetStatus.FAILED, TargetStatus.NEEDS_CHECK}

# Sent after the commit when a target is due within the look-ahead.
due_soon = Signal()
# Sent inside the transaction with ``target``, ``number`` (the attempt it follows), ``found``
# ("absent": not on the network, publish again; "present": published, by hand), ``worker`` (who)
# and ``note``.
settled_by_hand = Signal()


def _kick_if_due(when: Any) -> None:
    if when and when <= timezone.now() + timedelta(seconds=settings.PUBLISH_LOOKAHEAD_SECONDS):
        transaction.on_commit(lambda: due_soon.send(sender=PostTarget))


def _who(user: User | None) -> str:
    return f"user:{user.email}"[:100] if user is not None else "user"


# --- The roll-up ----------------------------------------------------------------------------------

# Post statuses the roll-up may overwrite; drafts and posts in review belong to the editor.
ROLLED_UP = (PostStatus.APPROVED, PostStatus.SCHEDULED, PostStatus.PUBLISHED, PostStatus.FAILED)
DONE = {TargetStatus.PUBLISHED, TargetStatus.DELETED, TargetStatus.NOT_DELETABLE}
ON_ITS_WAY = {TargetStatus.SCHEDULED, *IN_FLIGHT}


def post_status(target_statuses: set[str]) -> str | None:
    """A post's status from its (not cancelled) targets' statuses: all published (or deleted
    or kept by the network since) → published; any failed or needing a check → failed; any still on its way →
    scheduled; else (no targets, or drafts left) None: the post keeps its status."""
    if not target_statuses:
        return None
    if target_statuses <= DONE:
        return PostStatus.PUBLISHED
    if target_statuses & TROUBLE:
        return PostStatus.FAILED
    if target_statuses & ON_ITS_WAY:
        return PostStatus.SCHEDULED
    return None


def roll_up(post_ids: Iterable[Any]) -> int:
    """Bring the posts' statuses in line with their targets (``post_status``); returns how many
    changed. Call inside the transaction that moved the targets.

    A post that becomes failed records why in its history, once (the update is conditional).
    Published needs no line of its own: whoever published a target recorded it.
    """
    targets: dict[Any, list[PostTarget]] = {}
    for t in (PostTarget.objects.filter(post_id__in=set(post_ids))
              .exclude(status=TargetStatus.CANCELLED).select_related("channel")
              .only("post_id", "status", "last_error", "channel__network", "channel__name")):
        targets.setdefault(t.post_id, []).append(t)
    by_status: dict[str, list[Any]] = {}
    for post_id, found in targets.items():
        new = post_status({t.status for t in found})
        if new is not None:
            by_status.setdefault(new, []).append(post_id)
    changed = 0
    for new, pks in by_status.items():
        if new != PostStatus.FAILED:
            changed += Post.objects.filter(pk__in=pks, status__in=ROLLED_UP).exclude(
                status=new).update(status=new)
            continue
        for pk in pks:  # rare: one at a time, so the history line goes with the change
            if Post.objects.filter(pk=pk, status__in=ROLLED_UP).exclude(status=new).update(
                    status=new):
                changed += 1
                PostEvent.objects.create(post_id=pk, kind=PostEvent.Kind.FAILED, text="\n".join(
                    f"{t.channel}: {t.last_error or t.get_status_display()}"
                    for t in targets[pk] if t.status in TROUBLE)[:2000])
    return changed


# --- Scheduling -----------------------------------------------------------------------------------


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
    busy = PostTarget.objects.filter(
        post=post, status__in=[*IN_FLIGHT, TargetStatus.PUBLISHED]).exists()
    if changed and not busy:
        Post.objects.filter(pk=post.pk, status=PostStatus.SCHEDULED).update(
            status=PostStatus.APPROVED)
    return changed


# --- A person settles a target ----------------------------------------------------------------


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
        settled_by_hand.send(sender=PostTarget, target=target, number=was[1], found="absent",
                             worker=_who(user), note="Checked by a person: not on the network.")
    roll_up([target.post_id])
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
    settled_by_hand.send(sender=PostTarget, target=target, number=was or 0, found="present",
                         worker=_who(user), note=url[:500])
    PostEvent.objects.create(post_id=target.post_id, author=user, kind=PostEvent.Kind.PUBLISHED,
                             text=f"{target.channel.name}: {url}"[:2000])
    roll_up([target.post_id])
    return True


# --- Edits and deletes of published posts -----------------------------------------------------


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


def past_delete_window(target: PostTarget, now: Any = None) -> bool:
    """Whether the target's network no longer deletes it through its API (published longer
    ago than ``Limits.delete_window``): a delete would only be refused."""
    window = limits_for(target.channel.network).delete_window
    return bool(window and target.published_at
                and (now or timezone.now()) - target.published_at >= window)


@transaction.atomic
def propagate_delete(post: Post) -> int:
    """Delete the post from every network where it is published (returns how many jobs) and
    cancel the targets not sent yet. Keep the Post row until its targets are ``deleted``:
    deleting it cascades to the targets, and the jobs with them.

    A target past its network's delete window is not asked for: it becomes ``not_deletable``
    (with the reason) at once — the network keeps it, a person deletes it there."""
    PostTarget.objects.filter(post=post, status__in=[
        TargetStatus.DRAFT, TargetStatus.SCHEDULED, TargetStatus.FAILED,
        TargetStatus.NEEDS_CHECK,
    ]).update(status=TargetStatus.CANCELLED, next_attempt_at=None)
    now = timezone.now()
    kept = [t for t in PostTarget.objects.filter(post=post, status=TargetStatus.PUBLISHED)
            .select_related("channel") if past_delete_window(t, now)]
    for t in kept:
        if PostTarget.objects.filter(pk=t.pk, status=TargetStatus.PUBLISHED).update(
                status=TargetStatus.NOT_DELETABLE, pending_action=PendingAction.NONE,
                action_due_at=None, next_stats_at=None, last_error=NOT_DELETABLE_NOTE()):
            PostEvent.objects.create(post_id=post.pk, kind=PostEvent.Kind.NOT_DELETABLE,
                                     message=history.NOT_DELETABLE,
                                     params={"channel": t.channel.name})
    return _owe(post, PendingAction.DELETE)


def NOT_DELETABLE_NOTE() -> str:
    return history.not_deletable_note()
