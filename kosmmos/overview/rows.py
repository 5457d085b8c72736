"""What needs the agency's attention today, per client workspace: the overview's table.

A few grouped queries for the whole agency (not one page of queries per client): inbox items
waiting for an answer and the negatives among them, those past the workspace's first-response target, posts due in the
next 24 hours, posts in review, and publications that failed or need a manual check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kosmmos.accounts.models import Workspace
from kosmmos.content.models import Post, PostStatus, PostTarget, TargetStatus
from kosmmos.inbox import analytics
from kosmmos.inbox.models import CONVERSATION_KINDS, MAYBE_COMPLAINT, Item


@dataclass
class WorkspaceRow:
    workspace: Workspace
    open_items: int = 0
    open_negative: int = 0
    open_maybe: int = 0  # possible complaints (Item.maybe_complaint) among the waiting ones
    overdue: int = 0
    due_today: int = 0
    in_review: int = 0
    troubles: int = 0

    @property
    def needs_attention(self) -> bool:
        return bool(self.overdue or self.troubles or self.open_negative or self.open_maybe)


def workspace_rows(workspaces: QuerySet[Workspace]) -> list[WorkspaceRow]:
    """One row per workspace, the ones that need attention first (then by name)."""
    rows = {w.pk: WorkspaceRow(w) for w in workspaces}
    if not rows:
        return []
    now = timezone.now()
    conversations = Item.objects.filter(workspace_id__in=rows, kind__in=CONVERSATION_KINDS)
    open_items = analytics.waiting(conversations)
    for found in open_items.values("workspace_id").annotate(
            n=Count("pk"), negative=Count("pk", filter=Q(sentiment="negative")),
            maybe=Count("pk", filter=MAYBE_COMPLAINT)).order_by():
        row = rows[found["workspace_id"]]
        row.open_items, row.open_negative = found["n"], found["negative"]
        row.open_maybe = found["maybe"]
    # Overdue depends on each workspace's own target: group the workspaces by target minutes.
    by_target: dict[int, list[Any]] = {}
    for pk, minutes in analytics.sla_targets(pk for pk, r in rows.items() if r.open_items).items():
        by_target.setdefault(minutes, []).append(pk)
    for minutes, ids in by_target.items():
        for found in (analytics.overdue(conversations.filter(workspace_id__in=ids), minutes)
                      .values("workspace_id").annotate(n=Count("pk")).order_by()):
            rows[found["workspace_id"]].overdue = found["n"]
    # Only the statuses counted below: the index on status keeps this off the published history.
    for found in (PostTarget.objects.filter(post__workspace_id__in=rows, status__in=[
                      TargetStatus.SCHEDULED, TargetStatus.QUEUED, TargetStatus.FAILED,
                      TargetStatus.NEEDS_CHECK])
                  .values("post__workspace_id").annotate(
                      # Posts, not targets: one post to three channels is one post to check.
                      due=Count("post", distinct=True, filter=Q(
                          status__in=[TargetStatus.SCHEDULED, TargetStatus.QUEUED],
                          publish_at__gte=now, publish_at__lt=now + timedelta(hours=24))),
                      troubles=Count("post", distinct=True, filter=Q(
                          status__in=[TargetStatus.FAILED, TargetStatus.NEEDS_CHECK])))
                  .order_by()):
        row = rows[found["post__workspace_id"]]
        row.due_today, row.troubles = found["due"], found["troubles"]
    for found in (Post.objects.filter(workspace_id__in=rows, status=PostStatus.IN_REVIEW,
                                      deleted_at__isnull=True)
                  .values("workspace_id").annotate(n=Count("pk")).order_by()):
        rows[found["workspace_id"]].in_review = found["n"]
    return sorted(rows.values(), key=lambda r: (not r.needs_attention, -r.overdue,
                                                -r.troubles, r.workspace.name))
